"""Group ``models``: training data, splits, the candidate model, its evaluation and the champion."""
