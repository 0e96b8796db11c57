"""Late fusion of the branches' emotion distributions, robust to a missing modality.

The fused distribution is a weighted geometric mean (log-linear pooling) of the distributions that
are present: a branch that is missing (no words, no audio, no face) simply drops out and the weights
of the others are renormalised, so text-only input gets exactly the text branch's distribution.
Weights are fitted on validation data where several branches are present (:func:`fit_weights`);
a branch with no labelled data to fit on (the face branch: no labelled video) enters with a prior
weight recorded in the bundle (:mod:`emotion_platform.lib.face.branch`). ``fuse`` takes any subset of
``{"text", "acoustic", "face"}``.
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


def fit_weights(distributions: dict[str, np.ndarray], labels: np.ndarray, step: float = 0.1,
                min_gain: float = 0.005, min_informative: float = 0.02) -> dict[str, float]:
    """The branch weights (a grid on the simplex) that maximise validation macro F1.

    A mixture is only chosen when it beats the best single branch by ``min_gain``; otherwise the
    best branch alone is used, so fusion never trades a real branch for noise from an
    uninformative one (e.g. the text of scripted, emotion-neutral sentences). A branch whose
    unweighted average recall is not above chance by ``min_informative`` gets weight 0.
    """
    chance = 1.0 / len(np.unique(labels))
    informative = {k: v for k, v in distributions.items()
                   if classification_metrics(labels, v)["uar"] > chance + min_informative}
    if len(informative) <= 1:
        best = max(distributions, key=lambda k: classification_metrics(labels, distributions[k])["macro_f1"])
        return {k: float(k == best) for k in distributions}
    names = sorted(distributions)
    grid = np.round(np.arange(0, 1 + 1e-9, step), 3)
    scored = []
    for combo in itertools.product(grid, repeat=len(names)):
        if np.isclose(sum(combo), 1.0) and all(c == 0 or n in informative for n, c in zip(names, combo, strict=True)):
            weights = dict(zip(names, (float(c) for c in combo), strict=True))
            scored.append((classification_metrics(labels, fuse(distributions, weights))["macro_f1"], weights))
    singles = [(f1, w) for f1, w in scored if sum(v > 0 for v in w.values()) == 1]
    mixtures = [(f1, w) for f1, w in scored if sum(v > 0 for v in w.values()) > 1]
    best_single = max(singles, key=lambda x: x[0])
    best_mixture = max(mixtures, key=lambda x: x[0], default=(-1.0, None))
    return best_mixture[1] if best_mixture[0] >= best_single[0] + min_gain else best_single[1]
