"""The speech branch of an emotion bundle: which encoder states (a spec) and the head trained on them.

Stored in the bundle as ``speech/spec.json`` (the encoder spec and the shipped Whisper weights'
SHA-256) and ``speech/head.joblib``. The Whisper weights themselves are not copied into the bundle:
they ship in a hash-pinned package, like the transcriber's, and are loaded on first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import ModelFileError
from emotion_platform.lib.speech.encoder import SPEECH_FEATURE_VERSION, SpeechEncoderSpec, WhisperSpeechEncoder
from emotion_platform.lib.speech.head import SpeechHead
from emotion_platform.lib.whisper.models import DEFAULT_CACHE_DIR, WHISPER_MODELS

SPEC_FILE, HEAD_FILE = "spec.json", "head.joblib"


class IncompatibleFeatures(ModelFileError):
    """Embeddings computed with another encoder spec than the branch was trained on."""


@dataclass
class SpeechBranch:
    """``embed`` clips, then ``predict_proba`` their embeddings (seven columns, EMOTIONS order)."""

    spec: SpeechEncoderSpec
    head: SpeechHead
    cache_dir: Path = field(default=DEFAULT_CACHE_DIR, compare=False)
    device: str = field(default="cpu", compare=False)
    _encoder: WhisperSpeechEncoder | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def encoder(self) -> WhisperSpeechEncoder:
        if self._encoder is None:
            self._encoder = WhisperSpeechEncoder(self.spec, self.cache_dir, self.device)
        return self._encoder

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        return self.encoder.embed(clips)

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        embeddings = np.atleast_2d(embeddings)
        if embeddings.shape[1] != self.spec.dim:
            raise IncompatibleFeatures(
                f"embeddings have {embeddings.shape[1]} columns; this branch reads {self.spec.dim} ({self.spec})"
            )
        return self.head.predict_proba(embeddings)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "spec": self.spec.to_dict(),
            "feature_version": SPEECH_FEATURE_VERSION,
            "whisper_sha256": WHISPER_MODELS[self.spec.whisper_model].sha256,
        }
        atomic.write_text(folder / SPEC_FILE, json.dumps(record, indent=2))
        with atomic.atomic_path(folder / HEAD_FILE) as tmp:
            joblib.dump(self.head, tmp)
        return folder

    @classmethod
    def load(cls, folder: Path, cache_dir: Path | None = None, device: str = "cpu") -> SpeechBranch:
        record = json.loads((Path(folder) / SPEC_FILE).read_text())
        if record["feature_version"] != SPEECH_FEATURE_VERSION:
            raise IncompatibleFeatures(
                f"{folder} was trained on speech features v{record['feature_version']}; "
                f"this platform computes v{SPEECH_FEATURE_VERSION}: retrain the model"
            )
        head = joblib.load(Path(folder) / HEAD_FILE)
        if not isinstance(head, SpeechHead):
            raise TypeError(f"{folder / HEAD_FILE} holds a {type(head).__name__}, not a SpeechHead")
        extra = {"cache_dir": Path(cache_dir)} if cache_dir is not None else {}
        return cls(SpeechEncoderSpec.from_dict(record["spec"]), head, device=device, **extra)
