"""Group ``serving``: the Bento that packages the champion model."""
