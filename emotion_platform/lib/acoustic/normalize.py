"""Speaker normalisation: z-score each speaker's descriptors by that speaker's own statistics.

Voices differ more between people than emotions differ within one voice, so descriptors are made
relative to the speaker. No labels are used: a new speaker's statistics come from their own clips.
At inference the "speaker" is whatever grouping is known: the speaker id in a dataset, or one media
file (its segments). Groups with fewer than ``min_group`` recordings are too small for stable
statistics and are scaled by the training population's statistics instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SpeakerNormalizer:
    min_group: int = 8
    population_mean: np.ndarray | None = None
    population_std: np.ndarray | None = None

    def fit(self, features: np.ndarray) -> SpeakerNormalizer:
        self.population_mean = features.mean(axis=0)
        self.population_std = features.std(axis=0) + 1e-6
        return self

    def transform(self, features: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
        if self.population_mean is None:
            raise RuntimeError("the normaliser has not been fitted")
        features = np.atleast_2d(features).astype(np.float64)
        out = (features - self.population_mean) / self.population_std
        if groups is None:
            return out
        groups = np.asarray(groups)
        for group in np.unique(groups):
            rows = groups == group
            if rows.sum() >= self.min_group:
                out[rows] = (features[rows] - features[rows].mean(axis=0)) / (features[rows].std(axis=0) + 1e-6)
        return out
