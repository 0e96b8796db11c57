"""Voice-activity detection with the Silero VAD model that ships inside faster-whisper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class SpeechRegions:
    regions: list[tuple[float, float]]

    @property
    def speech_s(self) -> float:
        return sum(end - start for start, end in self.regions)


def detect_speech(audio: np.ndarray, threshold: float = 0.5, min_speech_ms: int = 250) -> SpeechRegions:
    """Time spans (seconds) that contain speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=threshold, min_speech_duration_ms=min_speech_ms)
    stamps = get_speech_timestamps(audio, options)
    return SpeechRegions([(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps])
