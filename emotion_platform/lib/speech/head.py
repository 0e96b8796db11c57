"""The speech branch's trained part: a logistic-regression head over pooled encoder embeddings.

Training data comes from several corpora (acted English, German, Polish; natural Urdu talk shows),
which differ in size and class mix. :func:`balanced_weights` gives every corpus the same total
weight and every class the same weight within its corpus, so no corpus's recording conditions
dominate. There is no per-speaker normalisation: a file with one short segment is scaled exactly
as training clips were (one global standardisation fitted on the training embeddings).
Probabilities are calibrated by a temperature fitted on speaker-disjoint validation clips.

The head is strongly regularised (:data:`DEFAULT_C`): on voices, languages and rooms it was not
trained on, a weak L2 penalty learns each corpus's recording conditions along with the emotion.
The value is what leave-one-corpus-out over the *training* corpora picks (``bench/real_media.py``
prints the search; the README's *Emotion answers on real media* quotes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.metrics import fit_temperature, softmax

DEFAULT_C = 0.003
"""Inverse L2 strength of the logistic head, chosen by leave-one-corpus-out on the training corpora."""


def balanced_weights(corpora: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Sample weights (mean 1): each corpus the same total, each class the same within its corpus."""
    corpora, labels = np.asarray(corpora), np.asarray(labels)
    weights = np.zeros(len(labels), dtype=float)
    for corpus in np.unique(corpora):
        in_corpus = corpora == corpus
        classes = np.unique(labels[in_corpus])
        for label in classes:
            rows = in_corpus & (labels == label)
            weights[rows] = 1.0 / (rows.sum() * len(classes))
    return weights * len(weights) / weights.sum()


@dataclass
class SpeechHead:
    """Standardisation + multinomial logistic regression; ``predict_proba`` gives all seven classes."""

    c: float = DEFAULT_C
    temperature: float = 1.0
    pipeline: Pipeline | None = field(default=None, repr=False)

    def fit(self, embeddings: np.ndarray, labels: np.ndarray, corpora: np.ndarray) -> SpeechHead:
        self.pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=self.c, max_iter=3000))
        self.pipeline.fit(embeddings, labels, logisticregression__sample_weight=balanced_weights(corpora, labels))
        return self

    def _logits(self, embeddings: np.ndarray) -> np.ndarray:
        if self.pipeline is None:
            raise RuntimeError("the speech head has not been fitted")
        full = np.full((len(embeddings), len(EMOTIONS)), -1e4)
        full[:, self.pipeline.classes_] = self.pipeline.decision_function(np.atleast_2d(embeddings))
        return full

    def calibrate(self, embeddings: np.ndarray, labels: np.ndarray) -> SpeechHead:
        """Fit the temperature on held-out clips (speakers the head never saw)."""
        self.temperature = fit_temperature(self._logits(embeddings), np.asarray(labels))
        return self

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        return softmax(self._logits(embeddings), self.temperature)
