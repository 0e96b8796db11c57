"""The transcript data model shared by every backend and stored as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from emotion_platform.lib.records import JsonRecord

TranscriptStatus = Literal["ok", "no_speech", "no_audio", "skipped"]


class Word(BaseModel):
    word: str
    start: float
    end: float
    probability: float


class Segment(BaseModel):
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = Field(default_factory=list)
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float | None = None


class Transcript(JsonRecord):
    """A transcript, or an empty one with the reason there is nothing to say."""

    status: TranscriptStatus
    reason: str | None = None
    language: str | None = None
    duration_s: float
    speech_s: float | None = None
    segments: list[Segment] = Field(default_factory=list)
    backend: str | None = None
    model: str | None = None
    device: str | None = None
    processing_s: float | None = None

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    @property
    def word_count(self) -> int:
        return sum(len(s.words) for s in self.segments)

    @property
    def real_time_factor(self) -> float | None:
        if self.processing_s is None or not self.duration_s:
            return None
        return self.processing_s / self.duration_s

    @classmethod
    def empty(cls, status: TranscriptStatus, reason: str, duration_s: float = 0.0) -> Transcript:
        return cls(status=status, reason=reason, duration_s=duration_s)
