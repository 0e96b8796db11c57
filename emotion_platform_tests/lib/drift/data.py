"""Small real slices of the datasets for drift tests, and a small real model to profile them with.

RAVDESS clips of one seeded pool are split at random into reference rows and a no-shift window
(the same distribution by construction); EmoDB clips (German, acted, cut to 2 s) are the shifted
source. Acoustic descriptors go through the platform's feature cache, so only the first run pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emotion_platform.lib.acoustic.dataset import extract_features
from emotion_platform.lib.acoustic.model import AcousticClassifier
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.settings import PlatformSettings

REFERENCE_CLIPS, WINDOW_CLIPS = 160, 50


@dataclass(frozen=True)
class DriftSlices:
    reference: pd.DataFrame  # RAVDESS clips
    same: pd.DataFrame  # other RAVDESS clips of the same pool
    shifted: pd.DataFrame  # EmoDB clips


def datasets_dir() -> Path:
    return PlatformSettings().datasets_dir


def feature_cache() -> Path:
    return PlatformSettings().cache_dir / "features"


def drift_slices(seed: int = 3) -> DriftSlices:
    speech = load_speech(datasets_dir(), ["ravdess_speech", "emodb_2s"])
    ravdess = speech[speech["source"] == "ravdess_speech"].sample(REFERENCE_CLIPS + WINDOW_CLIPS, random_state=seed)
    emodb = speech[speech["source"] == "emodb_2s"].sample(WINDOW_CLIPS, random_state=seed)
    return DriftSlices(ravdess.iloc[:REFERENCE_CLIPS].reset_index(drop=True),
                       ravdess.iloc[REFERENCE_CLIPS:].reset_index(drop=True), emodb.reset_index(drop=True))


def small_bundle(folder: Path, acoustic_train: pd.DataFrame) -> EmotionBundle:
    """A 2-layer BERT text branch (MiniLM's tokenizer, untrained head) and a real acoustic SVM."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    encoder = tiny_encoder_dir(folder / "tiny-encoder")
    model = AutoModelForSequenceClassification.from_pretrained(
        str(encoder), num_labels=len(EMOTIONS), id2label=dict(enumerate(EMOTIONS)),
        label2id={e: i for i, e in enumerate(EMOTIONS)})
    text = TextEmotionModel(model.eval(), AutoTokenizer.from_pretrained(str(encoder)), max_length=48)
    features, _ = extract_features(acoustic_train, feature_cache())
    acoustic = AcousticClassifier(c=3.0).fit(features, acoustic_train["label"].map(LABEL_TO_ID).to_numpy(),
                                             acoustic_train["speaker"].to_numpy())
    return EmotionBundle(text, acoustic, {"text": 0.3, "acoustic": 0.7})
