"""Voice-activity detection with the Silero VAD model that ships inside faster-whisper."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE

# Whisper reads 30 s windows: speech is grouped into chunks no longer than that.
MAX_CHUNK_S = 30.0


@dataclass(frozen=True)
class SpeechRegions:
    regions: list[tuple[float, float]]

    @property
    def speech_s(self) -> float:
        return sum(end - start for start, end in self.regions)

    def chunks(self, max_chunk_s: float = MAX_CHUNK_S) -> list[tuple[float, float]]:
        """Consecutive regions grouped into spans of at most ``max_chunk_s`` (one Whisper window each)."""
        chunks: list[tuple[float, float]] = []
        for start, end in self.regions:
            if chunks and end - chunks[-1][0] <= max_chunk_s:
                chunks[-1] = (chunks[-1][0], end)
            else:
                chunks.append((start, end))
        return chunks


def detect_speech(audio: np.ndarray, threshold: float = 0.5, min_speech_ms: int = 250) -> SpeechRegions:
    """Time spans (seconds) that contain speech, none longer than one Whisper window."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=threshold,
        min_speech_duration_ms=min_speech_ms,
        max_speech_duration_s=MAX_CHUNK_S,
        min_silence_duration_ms=160,
    )
    stamps = get_speech_timestamps(audio, options)
    return SpeechRegions([(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps])
