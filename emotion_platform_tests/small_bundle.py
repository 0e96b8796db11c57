"""A small real emotion bundle for tests of fusion, features and predictions.

Text branch: a tiny randomly initialised BERT with MiniLM's tokenizer and an untrained 7-class
head (its outputs are real model outputs, not meaningful emotions). Speech branch: the real shipped
Whisper tiny.en encoder with its head trained on 42 real RAVDESS clips (6 per class, 4 speakers).
Fusion: the real stacked model, fitted on 14 more RAVDESS clips (other speakers) and 14 MELD lines
spoken with espeak-ng. Face branch: the shipped PyEmotion network (the bundle's default).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.spoken import spoken_examples
from emotion_platform.lib.datasets.text import load_meld
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.speech.training import fit_words_voice_fusion, train_speech_branch
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.settings import PlatformSettings


def small_text_model(work: Path) -> TextEmotionModel:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    encoder = tiny_encoder_dir(work / "tiny-encoder")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(str(encoder), num_labels=len(EMOTIONS)).eval()
    return TextEmotionModel(model, AutoTokenizer.from_pretrained(str(encoder)), max_length=48)


def small_speech_clips() -> tuple:
    """(train, validation) RAVDESS clips: 6 per class from 4 speakers, 2 per class from 2 others."""
    settings = PlatformSettings()
    clips = load_speech(settings.datasets_dir, ["ravdess_speech"]).sort_values("example_id")
    speakers = sorted(clips["speaker"].unique())
    train = clips[clips["speaker"].isin(speakers[:4])].groupby("label").head(6)
    validation = clips[clips["speaker"].isin(speakers[4:6])].groupby("label").head(2)
    return train, validation


def small_bundle(work: Path) -> EmotionBundle:
    settings = PlatformSettings()
    train, validation = small_speech_clips()
    features = settings.cache_dir / "features"
    speech, _ = train_speech_branch(train, validation, features, settings.cache_dir)
    text = small_text_model(work)
    lines = load_meld(settings.datasets_dir).sort_values("example_id").groupby("label").head(2)
    spoken = spoken_examples(lines, features / "spoken", seed=0)
    fusion = fit_words_voice_fusion(text, speech, validation, spoken, features)
    return EmotionBundle(text, speech, fusion)


def assert_distribution(p: np.ndarray | dict) -> None:
    values = np.array(list(p.values()) if isinstance(p, dict) else p, dtype=float)
    assert values.shape == (len(EMOTIONS),) and (values >= 0).all() and abs(values.sum() - 1) < 1e-3
