"""Late fusion of the branches' emotion distributions, robust to a missing modality.

The fused distribution is a weighted geometric mean (log-linear pooling) of the distributions that
are present: a branch that is missing (no words, no audio, no face) simply drops out and the weights
of the others are renormalised, so text-only input gets exactly the text branch's distribution.
Weights are fitted on validation data where several branches are present (:func:`fit_weights`).
"""

from __future__ import annotations

import itertools

import numpy as np

from emotion_platform.lib.metrics import classification_metrics

EPS = 1e-6


def fuse(distributions: dict[str, np.ndarray | None], weights: dict[str, float]) -> np.ndarray:
    """Fused (n, 7) distribution of the present branches; raises when none is present."""
    present = {k: np.atleast_2d(v) for k, v in distributions.items() if v is not None and weights.get(k, 0) > 0}
    if not present:
        present = {k: np.atleast_2d(v) for k, v in distributions.items() if v is not None}
        if not present:
            raise ValueError("no branch produced a distribution")
        weights = dict.fromkeys(present, 1.0)
    if len(present) == 1:
        (only,) = present.values()
        return only / only.sum(axis=1, keepdims=True)
    total = sum(weights[k] for k in present)
    log_p = sum((weights[k] / total) * np.log(v + EPS) for k, v in present.items())
    p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def fit_weights(distributions: dict[str, np.ndarray], labels: np.ndarray, step: float = 0.1) -> dict[str, float]:
    """The branch weights (a grid on the simplex) that maximise validation macro F1."""
    names = sorted(distributions)
    grid = np.round(np.arange(0, 1 + 1e-9, step), 3)
    best, best_f1 = None, -1.0
    for combo in itertools.product(grid, repeat=len(names)):
        if not np.isclose(sum(combo), 1.0):
            continue
        weights = dict(zip(names, combo, strict=True))
        f1 = classification_metrics(labels, fuse(distributions, weights))["macro_f1"]
        if f1 > best_f1 + 1e-9:
            best, best_f1 = weights, f1
    return {k: float(v) for k, v in best.items()}
