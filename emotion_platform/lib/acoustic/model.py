"""A small classifier over acoustic descriptors: speaker-normalised features and an RBF support-vector machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emotion_platform.lib import atomic
from emotion_platform.lib.acoustic.normalize import SpeakerNormalizer
from emotion_platform.lib.labels import EMOTIONS


@dataclass
class AcousticClassifier:
    """``predict_proba`` always returns seven columns in :data:`EMOTIONS` order.

    ``groups`` (speaker ids, or one id per media file) select speaker normalisation; see
    :mod:`emotion_platform.lib.acoustic.normalize`.
    """

    c: float = 3.0
    gamma: str | float = "scale"
    speaker_normalization: bool = True
    normalizer: SpeakerNormalizer = field(default_factory=SpeakerNormalizer, repr=False)
    pipeline: Pipeline | None = field(default=None, repr=False)

    def _prepare(self, features: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
        return self.normalizer.transform(features, groups if self.speaker_normalization else None)

    def fit(self, features: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None) -> AcousticClassifier:
        self.normalizer.fit(features)
        features = self._prepare(features, groups)
        self.pipeline = Pipeline([
            ("scale", StandardScaler()),
            ("svm", SVC(C=self.c, gamma=self.gamma, probability=True, class_weight="balanced", random_state=0)),
        ])
        self.pipeline.fit(features, labels)
        return self

    def predict_proba(self, features: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        if self.pipeline is None:
            raise RuntimeError("the classifier has not been fitted")
        proba = self.pipeline.predict_proba(self._prepare(features, groups))
        full = np.zeros((proba.shape[0], len(EMOTIONS)))
        full[:, self.pipeline.classes_] = proba
        return full

    def save(self, path: Path) -> Path:
        with atomic.atomic_path(path) as tmp:
            joblib.dump(self, tmp)
        return path

    @staticmethod
    def load(path: Path) -> AcousticClassifier:
        model = joblib.load(path)
        if not isinstance(model, AcousticClassifier):
            raise TypeError(f"{path} holds a {type(model).__name__}, not an AcousticClassifier")
        return model
