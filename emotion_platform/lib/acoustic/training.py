"""Training and applying the acoustic branch on a table of dataset clips (speaker ids known)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.acoustic.dataset import extract_features
from emotion_platform.lib.acoustic.model import AcousticClassifier
from emotion_platform.lib.labels import LABEL_TO_ID


def train_acoustic(train: pd.DataFrame, feature_cache: Path, c: float = 3.0) -> AcousticClassifier:
    features, _ = extract_features(train, feature_cache)
    labels = train["label"].map(LABEL_TO_ID).to_numpy()
    return AcousticClassifier(c=c).fit(features, labels, train["speaker"].to_numpy())


def acoustic_proba(model: AcousticClassifier, clips: pd.DataFrame, feature_cache: Path) -> np.ndarray:
    """Probabilities for dataset clips, normalised per (known) speaker."""
    features, _ = extract_features(clips, feature_cache)
    return model.predict_proba(features, clips["speaker"].to_numpy())
