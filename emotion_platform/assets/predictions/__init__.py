"""Group ``predictions``: emotions of each media partition from the champion model."""
