"""Fusing the branches' emotion distributions into one, robust to a missing modality.

Words and voice (:class:`WordsVoiceFusion`) are combined by a *gated* log-linear pool: per segment,
``p ∝ exp(s · (w·log p_text + (1−w)·log p_speech))``, where the text weight ``w`` comes from a
small logistic gate over how neutral and how certain each branch is, and ``s`` is one fitted
sharpness. A fixed weight per branch cannot do what is needed: on acted speech the sentences are
neutral by design and the voice carries the label; in dialogue read with a flat voice the words
carry it. The gate has seven coefficients and is fitted by log-loss on data where each branch is
the informative one (speaker-disjoint validation clips of the speech corpora, and MELD lines
spoken by a synthesiser), the two kinds weighted equally. Its output always lies between the two
branches. (Two richer stackers were measured and dropped, see docs/training.md: a linear model
over both log-probabilities, and gradient-boosted trees, which fitted the validation clips almost
perfectly and lost 3-9 points to the speech branch alone on the test speakers.)

A branch that is missing (no words, no voice) simply drops out: the other's distribution is used
as it is. The face branch then joins by log-linear pooling (:func:`fuse`) with a prior weight, since
no labelled video exists to fit it on (:mod:`emotion_platform.lib.face.branch`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

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
    log_p = cast(np.ndarray, sum((weights[k] / total) * np.log(v + EPS) for k, v in present.items()))
    p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def entropy(p: np.ndarray) -> np.ndarray:
    """Normalised entropy of each row (0: certain, 1: uniform)."""
    p = np.clip(np.atleast_2d(p), EPS, 1.0)
    return -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])


NEUTRAL = EMOTIONS.index("neutral")
GATE_FEATURES = (
    "bias",
    "log p_text(neutral)",
    "log p_speech(neutral)",
    "log (1 - p_text(neutral))",
    "log (1 - p_speech(neutral))",
    "text entropy",
    "speech entropy",
)


def gate_features(text: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """What the gate reads of each segment (:data:`GATE_FEATURES`): how neutral and how certain each branch is."""
    text, speech = np.atleast_2d(text), np.atleast_2d(speech)
    t, s = text[:, NEUTRAL], speech[:, NEUTRAL]
    return np.column_stack(
        [
            np.ones(len(text)),
            np.log(t + EPS),
            np.log(s + EPS),
            np.log(1 - t + EPS),
            np.log(1 - s + EPS),
            entropy(text),
            entropy(speech),
        ]
    )


@dataclass
class WordsVoiceFusion:
    """A gated log-linear pool of the text and speech distributions (see the module docstring)."""

    gate: np.ndarray  # one coefficient per GATE_FEATURES
    log_sharpness: float = 0.0

    @classmethod
    def fit(
        cls, text: np.ndarray, speech: np.ndarray, labels: np.ndarray, domains: np.ndarray, l2: float = 1e-4
    ) -> WordsVoiceFusion:
        """Fit on rows where both branches are present by weighted log-loss; each domain (e.g.
        ``"acted speech"``, ``"spoken dialogue"``) gets the same total weight."""
        from scipy.optimize import minimize

        labels, domains = np.asarray(labels), np.asarray(domains)
        weights = np.array([1.0 / np.sum(domains == d) for d in domains])
        weights /= weights.sum()
        rows = np.arange(len(labels))

        def loss(theta: np.ndarray) -> float:
            p = cls(theta[:-1], float(theta[-1])).combine(text, speech)
            return float(-(weights * np.log(p[rows, labels] + EPS)).sum() + l2 * (theta[:-1] ** 2).sum())

        result = minimize(loss, np.zeros(len(GATE_FEATURES) + 1), method="L-BFGS-B")
        return cls(result.x[:-1], float(result.x[-1]))

    def text_weight(self, text: np.ndarray, speech: np.ndarray) -> np.ndarray:
        """The gate: each segment's weight of the words (the voice gets the rest)."""
        return 1.0 / (1.0 + np.exp(-np.clip(gate_features(text, speech) @ self.gate, -50, 50)))

    def combine(self, text: np.ndarray, speech: np.ndarray) -> np.ndarray:
        text, speech = np.atleast_2d(text), np.atleast_2d(speech)
        w = self.text_weight(text, speech)[:, None]
        log_p = np.exp(self.log_sharpness) * (w * np.log(text + EPS) + (1 - w) * np.log(speech + EPS))
        p = np.exp(log_p - log_p.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def to_dict(self) -> dict:
        return {
            "kind": "gated log-linear pool",
            "features": list(GATE_FEATURES),
            "gate": [round(float(g), 6) for g in self.gate],
            "log_sharpness": round(self.log_sharpness, 6),
        }

    def save(self, path: Path) -> Path:
        return atomic.write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: Path) -> WordsVoiceFusion:
        record = json.loads(Path(path).read_text())
        if record.get("features") != list(GATE_FEATURES):
            raise ValueError(
                f"{path} is not a words/voice fusion of this version (gate features {record.get('features')}): retrain"
            )
        return cls(np.array(record["gate"], dtype=float), float(record["log_sharpness"]))


def fuse_segment(
    text: np.ndarray | None,
    speech: np.ndarray | None,
    face: np.ndarray | None,
    words_voice: WordsVoiceFusion | None,
    face_weight: float,
) -> np.ndarray | None:
    """One segment's fused (7,) distribution from whichever branches are present (None if none is)."""
    if text is not None and speech is not None and words_voice is not None:
        spoken = words_voice.combine(text, speech)[0]
    else:
        spoken = text if text is not None else speech
    if spoken is None and face is None:
        return None
    return fuse({"spoken": spoken, "face": face}, {"spoken": 1.0, "face": face_weight})[0]
