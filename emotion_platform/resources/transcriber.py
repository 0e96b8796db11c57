"""Whisper as a resource: backend, model size and device come from config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field, PrivateAttr

from emotion_platform.lib.transcription import build_transcriber
from emotion_platform.lib.transcription.base import Transcriber

if TYPE_CHECKING:
    from emotion_platform.lib.speech.training import ClipTranscriber


class TranscriberResource(dg.ConfigurableResource):
    """Speech-to-text with openai-whisper (reference) or faster-whisper (fast path), loaded once."""

    backend: Literal["openai-whisper", "faster-whisper"] = Field(
        default="faster-whisper", description="openai-whisper is the reference; faster-whisper the fast path."
    )
    model: Literal["tiny.en", "base"] = Field(default="tiny.en", description="Whisper model shipped offline.")
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="auto: GPU when available.")
    cache_dir: str = Field(description="Where converted/assembled model files are cached.")
    batch_size: int = Field(default=8, description="faster-whisper: VAD chunks decoded together.")

    _transcriber: Transcriber | None = PrivateAttr(default=None)

    def get(self) -> Transcriber:
        """The loaded transcriber (loaded on first use, then reused for the run)."""
        if self._transcriber is None:
            options: dict[str, object] = {}
            if self.backend == "faster-whisper":
                options["batch_size"] = self.batch_size
            self._transcriber = build_transcriber(
                self.backend, self.model, Path(self.cache_dir), device=self.device, **options
            )
        return self._transcriber

    def clip_transcriber(self) -> ClipTranscriber:
        """The loaded transcriber, with the name its cached corpus transcripts are kept under."""
        from emotion_platform.lib.speech.training import ClipTranscriber

        return ClipTranscriber(self.get(), f"{self.backend}-{self.model}")
