"""A small real emotion bundle for tests of fusion and predictions.

Text branch: a tiny randomly initialised BERT with MiniLM's tokenizer and an untrained 7-class
head (its outputs are real model outputs, not meaningful emotions). Acoustic branch: the real SVM
fitted on 42 real RAVDESS clips (6 per class, features cached). Face branch: the shipped PyEmotion
network (the bundle's default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotion_platform.lib.acoustic.training import train_acoustic
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.settings import PlatformSettings

WEIGHTS = {"text": 0.4, "acoustic": 0.6}


def small_text_model(work: Path) -> TextEmotionModel:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    encoder = tiny_encoder_dir(work / "tiny-encoder")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(encoder), num_labels=len(EMOTIONS)).eval()
    return TextEmotionModel(model, AutoTokenizer.from_pretrained(str(encoder)), max_length=48)


def small_bundle(work: Path) -> EmotionBundle:
    settings = PlatformSettings()
    clips = load_speech(settings.datasets_dir, ["ravdess_speech"])
    clips = clips[clips["speaker"].isin(sorted(clips["speaker"].unique())[:4])]
    train = clips.sort_values("example_id").groupby("label").head(6)
    acoustic = train_acoustic(train, settings.cache_dir / "features")
    return EmotionBundle(small_text_model(work), acoustic, dict(WEIGHTS))


def assert_distribution(p: np.ndarray | dict) -> None:
    values = np.array(list(p.values()) if isinstance(p, dict) else p, dtype=float)
    assert values.shape == (len(EMOTIONS),) and (values >= 0).all() and abs(values.sum() - 1) < 1e-3
