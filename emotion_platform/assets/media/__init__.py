"""Group ``media``: one dynamic partition per media file, fed by the inbox sensor."""
