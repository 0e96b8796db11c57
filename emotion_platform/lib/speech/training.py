"""Training the speech branch on the speech corpora, and fitting the words/voice fusion.

    branch, report = train_speech_branch(train_clips, validation_clips, feature_cache, model_cache)
    fusion = fit_words_voice_fusion(text_model, branch, validation_clips, spoken_lines, feature_cache)

``*_clips`` are rows of the ``splits`` table (``audio_path``, ``label``, ``source``, ``text``);
``spoken_lines`` are dialogue lines with an ``audio_path`` of their synthesised recording
(:func:`emotion_platform.lib.datasets.spoken.spoken_examples`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.fusion import WordsVoiceFusion
from emotion_platform.lib.labels import LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics
from emotion_platform.lib.speech.branch import SpeechBranch
from emotion_platform.lib.speech.corpus import table_embeddings
from emotion_platform.lib.speech.encoder import SpeechEncoderSpec
from emotion_platform.lib.speech.head import DEFAULT_C, SpeechHead
from emotion_platform.lib.transcription.base import Transcriber
from emotion_platform.lib.transcription.corpus import clip_transcripts

ACTED, SPOKEN = "speech corpora (voice carries the label)", "spoken dialogue (words carry the label)"


def labels_of(df: pd.DataFrame) -> np.ndarray:
    return df["label"].map(LABEL_TO_ID).to_numpy()


@dataclass
class SpeechTrainingReport:
    train_clips: int
    validation_clips: int
    validation: dict  # accuracy, uar, macro_f1, ... of the calibrated branch
    temperature: float


def train_speech_branch(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    feature_cache: Path,
    model_cache: Path,
    spec: SpeechEncoderSpec | None = None,
    c: float = DEFAULT_C,
    device: str = "cpu",
) -> tuple[SpeechBranch, SpeechTrainingReport]:
    """A speech branch trained on ``train`` (corpus- and class-balanced), calibrated on ``validation``.

    ``feature_cache`` keeps the clips' embeddings; ``model_cache`` the converted Whisper weights.
    """
    branch = SpeechBranch(spec or SpeechEncoderSpec(), SpeechHead(c=c), cache_dir=Path(model_cache), device=device)
    features = Path(feature_cache)
    x_train = table_embeddings(train, branch.encoder, features)
    branch.head.fit(x_train, labels_of(train), train["source"].to_numpy())
    validation_metrics: dict = {}
    if len(validation):
        x_val = table_embeddings(validation, branch.encoder, features)
        branch.head.calibrate(x_val, labels_of(validation))
        validation_metrics = classification_metrics(labels_of(validation), branch.predict_proba(x_val))
    return branch, SpeechTrainingReport(len(train), len(validation), validation_metrics, branch.head.temperature)


@dataclass(frozen=True)
class ClipTranscriber:
    """A transcriber and the name its cached transcripts are kept under (e.g. ``faster-whisper-tiny.en``)."""

    transcriber: Transcriber
    key: str


def branch_inputs(
    text_model,
    branch: SpeechBranch,
    clips: pd.DataFrame,
    feature_cache: Path,
    transcriber: ClipTranscriber | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(text, speech) distributions of clips. The text branch reads each clip's transcript when a
    transcriber is given (what the platform will read), else the dataset's sentence (and context)."""
    if transcriber is not None:
        texts = clip_transcripts(
            clips["audio_path"].tolist(), transcriber.transcriber, Path(feature_cache), transcriber.key
        )
        contexts = [""] * len(clips)
    else:
        texts = clips["text"].fillna("").tolist()
        contexts = clips["context"].fillna("").tolist() if "context" in clips else [""] * len(clips)
    text = text_model.predict_proba(texts, contexts)
    speech = branch.predict_proba(table_embeddings(clips, branch.encoder, Path(feature_cache)))
    return text, speech


def fit_words_voice_fusion(
    text_model,
    branch: SpeechBranch,
    speech_clips: pd.DataFrame,
    spoken_lines: pd.DataFrame,
    feature_cache: Path,
    transcriber: ClipTranscriber | None = None,
) -> WordsVoiceFusion:
    """Fusion fitted where each branch is the informative one, the two kinds of data weighted equally.

    With ``transcriber`` the text branch reads each recording's transcript, as it will in the platform
    (why that matters, measured: docs/training.md, "The candidate").
    """
    parts = [(ACTED, speech_clips), (SPOKEN, spoken_lines)]
    texts, speeches, labels, domains = [], [], [], []
    for domain, clips in parts:
        if not len(clips):
            continue
        text, speech = branch_inputs(text_model, branch, clips, feature_cache, transcriber)
        texts.append(text)
        speeches.append(speech)
        labels.append(labels_of(clips))
        domains += [domain] * len(clips)
    if len(texts) < 2:
        raise ValueError("fusion needs both kinds of data: speech clips and spoken dialogue lines")
    return WordsVoiceFusion.fit(
        np.concatenate(texts), np.concatenate(speeches), np.concatenate(labels), np.array(domains)
    )
