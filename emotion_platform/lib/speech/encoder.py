"""Speech embeddings from a pretrained Whisper encoder (the shipped, hash-pinned weights).

A clip (16 kHz mono float32) becomes Whisper's log-mel spectrogram, runs through the encoder's
convolutions and the first ``layer`` transformer blocks, and the frame states are pooled into one
vector. Published work finds Whisper's encoder a strong, domain-robust speech-emotion
representation; the middle-to-late blocks carry more paralinguistic information than the last
one (chosen by ``bench/real_media.py``). Short clips are not padded to Whisper's 30 s window (the
positional embedding is sliced), and clips longer than 30 s are encoded in 30 s pieces whose states
are pooled together. Leading and trailing silence is trimmed first, so a clip's pause lengths do
not move its embedding.

    encoder = WhisperSpeechEncoder(SpeechEncoderSpec(), cache_dir)
    vectors = encoder.embed([clip_a, clip_b])      # (2, encoder.spec.dim)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE

SPEECH_FEATURE_VERSION = 1
"""Bumped whenever the same spec would give other numbers (cached embeddings are keyed by it)."""
WHISPER_WINDOW_S = 30
MIN_SAMPLES = SAMPLE_RATE // 20  # 50 ms: shorter clips are padded with silence to this
WIDTHS = {"tiny.en": (384, 4), "base": (512, 6)}


@dataclass(frozen=True)
class SpeechEncoderSpec:
    """Which encoder states become the embedding: Whisper model, block, pooling and silence trim."""

    whisper_model: Literal["tiny.en", "base"] = "tiny.en"
    layer: int = 3
    pooling: Literal["mean", "mean_std"] = "mean"
    trim_db: float | None = 35.0

    def __post_init__(self) -> None:
        _, blocks = WIDTHS[self.whisper_model]
        if not 0 <= self.layer <= blocks:
            raise ValueError(
                f"{self.whisper_model} has blocks 1..{blocks} (0: the convolutions), got layer {self.layer}"
            )

    @property
    def dim(self) -> int:
        width, _ = WIDTHS[self.whisper_model]
        return width * (2 if self.pooling == "mean_std" else 1)

    @property
    def key(self) -> str:
        """Identifies the numbers this spec gives (with the feature version), for caches."""
        text = json.dumps(asdict(self) | {"version": SPEECH_FEATURE_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SpeechEncoderSpec:
        return cls(**data)


def trim_silence(audio: np.ndarray, top_db: float | None) -> np.ndarray:
    """``audio`` without leading/trailing frames more than ``top_db`` below its loudest frame."""
    if top_db is None or audio.size < 800:
        return audio
    frame, hop = 400, 160
    n = 1 + max(0, audio.size - frame) // hop
    frames = np.lib.stride_tricks.as_strided(audio, (n, frame), (audio.strides[0] * hop, audio.strides[0]))
    rms_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(rms_db > rms_db.max() - top_db)
    if loud.size == 0:
        return audio
    return audio[loud[0] * hop : min(audio.size, loud[-1] * hop + frame)]


class WhisperSpeechEncoder:
    """The encoder half of a shipped Whisper model, run up to ``spec.layer`` (torch, CPU or CUDA)."""

    def __init__(self, spec: SpeechEncoderSpec, cache_dir: Path, device: str = "cpu"):
        from emotion_platform.lib.whisper.models import load_openai_whisper

        self.spec = spec
        self.device = device
        self.model = load_openai_whisper(spec.whisper_model, Path(cache_dir), device=device).encoder.eval()
        self.model.blocks = self.model.blocks[: max(spec.layer, 0)]  # later blocks are never run

    def _states(self, audio: np.ndarray):
        import torch
        import whisper

        mel = whisper.log_mel_spectrogram(torch.from_numpy(audio), n_mels=self.model.conv1.in_channels)
        mel = mel[:, : max(2, mel.shape[1] - mel.shape[1] % 2)][None].to(self.device)
        x = torch.nn.functional.gelu(self.model.conv1(mel))
        x = torch.nn.functional.gelu(self.model.conv2(x)).permute(0, 2, 1)
        x = x + self.model.positional_embedding[: x.shape[1]]
        for block in self.model.blocks:
            x = block(x)
        return x[0]

    def embed_one(self, audio: np.ndarray) -> np.ndarray:
        """One clip's pooled embedding, shape ``(spec.dim,)``."""
        import torch

        audio = trim_silence(np.asarray(audio, dtype=np.float32), self.spec.trim_db)
        if audio.size < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - audio.size))
        window = WHISPER_WINDOW_S * SAMPLE_RATE
        with torch.inference_mode():
            states = torch.cat(
                [
                    self._states(audio[i : i + window])
                    for i in range(0, audio.size, window)
                    if audio[i : i + window].size >= MIN_SAMPLES or i == 0
                ]
            ).float()
        pooled = [states.mean(0)] + ([states.std(0)] if self.spec.pooling == "mean_std" else [])
        return torch.cat(pooled).cpu().numpy().astype(np.float32)

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """Pooled embeddings of several clips, shape ``(len(clips), spec.dim)``."""
        if not clips:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        return np.stack([self.embed_one(c) for c in clips])
