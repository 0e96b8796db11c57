"""Fusing the branches' emotion distributions into one, robust to a missing modality.

Words and voice (:class:`WordsVoiceFusion`) are combined by a small stacked model over both
branches' log-probabilities and entropies. A weight per branch cannot do what is needed: on acted
speech the sentences are neutral by design and the voice carries the label; in dialogue read with
a flat voice the words carry it. The stacked model is fitted on data where each branch is the
informative one (speaker-disjoint validation clips of the speech corpora, and MELD lines spoken
by a synthesiser) with the two kinds weighted equally; its output is a distribution fitted by
log-loss, so the branches' scales need no separate alignment. (A linear stacker was measured and
dropped: it lost 0.10-0.15 accuracy on both kinds of data, see docs/training.md.)

A branch that is missing (no words, no voice) simply drops out: the other's distribution is used
as it is. The face branch then joins by log-linear pooling (:func:`fuse`) with a prior weight, since
no labelled video exists to fit it on (:mod:`emotion_platform.lib.face.branch`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from emotion_platform.lib import atomic
from emotion_platform.lib.labels import EMOTIONS

EPS = 1e-6


def fuse(distributions: dict[str, np.ndarray | None], weights: dict[str, float]) -> np.ndarray:
    """Weighted geometric mean (log-linear pool) of the present distributions, as an (n, 7) array.

    Branches that are None or have weight 0 drop out and the others' weights are renormalised;
    raises when none is present.
    """
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


def entropy(p: np.ndarray) -> np.ndarray:
    """Normalised entropy of each row (0: certain, 1: uniform)."""
    p = np.clip(np.atleast_2d(p), EPS, 1.0)
    return -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])


def _inputs(text: np.ndarray, speech: np.ndarray) -> np.ndarray:
    text, speech = np.atleast_2d(text), np.atleast_2d(speech)
    return np.hstack([np.log(text + EPS), np.log(speech + EPS), entropy(text)[:, None], entropy(speech)[:, None]])


@dataclass
class WordsVoiceFusion:
    """Gradient-boosted trees from (text, speech) distributions and their entropies to the fused one.

    Trees can gate, which a linear model over log-probabilities cannot: "the voice is flat (the
    speech branch says neutral) -> the words decide; the voice is emotional -> it decides" is a
    few splits, while a linear model has to compromise between the two kinds of data.
    """

    model: object  # a fitted sklearn HistGradientBoostingClassifier

    @classmethod
    def fit(cls, text: np.ndarray, speech: np.ndarray, labels: np.ndarray, domains: np.ndarray,
            seed: int = 0) -> WordsVoiceFusion:
        """Fit on rows where both branches are present; each domain (e.g. ``"acted speech"``,
        ``"spoken dialogue"``) gets the same total weight."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        domains = np.asarray(domains)
        weights = np.array([1.0 / np.sum(domains == d) for d in domains])
        # sklearn's default leaf size (20) cannot split a few dozen rows at all: the fit would be the class prior.
        leaf = int(np.clip(len(labels) // 10, 2, 20))
        model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_depth=4, min_samples_leaf=leaf,
                                               random_state=seed)
        model.fit(_inputs(text, speech), labels, sample_weight=weights * len(weights) / weights.sum())
        return cls(model)

    def combine(self, text: np.ndarray, speech: np.ndarray) -> np.ndarray:
        proba = self.model.predict_proba(_inputs(text, speech))
        full = np.full((proba.shape[0], len(EMOTIONS)), EPS)
        full[:, self.model.classes_] = proba
        return full / full.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> Path:
        with atomic.atomic_path(Path(path)) as tmp:
            joblib.dump(self, tmp)
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> WordsVoiceFusion:
        fusion = joblib.load(path)
        if not isinstance(fusion, cls):
            raise TypeError(f"{path} holds a {type(fusion).__name__}, not a WordsVoiceFusion")
        return fusion


def fuse_segment(text: np.ndarray | None, speech: np.ndarray | None, face: np.ndarray | None,
                 words_voice: WordsVoiceFusion | None, face_weight: float) -> np.ndarray | None:
    """One segment's fused (7,) distribution from whichever branches are present (None if none is)."""
    if text is not None and speech is not None and words_voice is not None:
        spoken = words_voice.combine(text, speech)[0]
    else:
        spoken = text if text is not None else speech
    if spoken is None and face is None:
        return None
    return fuse({"spoken": spoken, "face": face}, {"spoken": 1.0, "face": face_weight})[0]
