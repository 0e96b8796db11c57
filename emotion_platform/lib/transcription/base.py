"""The transcriber interface: every backend decodes; this class decides when there is nothing to decode."""

from __future__ import annotations

import abc
import time

import numpy as np

from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform.lib.transcription.vad import detect_speech

SAMPLE_RATE = 16_000
# Below this much detected speech, a file is reported as having no speech instead of transcribed:
# Whisper invents words ("Thank you.") on silence and music.
MIN_SPEECH_S = 0.3
# A segment the model itself probably considers non-speech, with unsure words, is a hallucination
# ("Mmm.", "Thank you.") on music or noise that the voice-activity detector let through.
HALLUCINATION_NO_SPEECH_P = 0.5
HALLUCINATION_WORD_P = 0.4


def is_hallucination(segment: Segment) -> bool:
    """True for segments with no letters, or unlikely speech recognised with low word confidence."""
    if not any(ch.isalnum() for ch in segment.text):
        return True
    if not segment.words:
        return False
    mean_word_p = sum(w.probability for w in segment.words) / len(segment.words)
    return segment.no_speech_prob > HALLUCINATION_NO_SPEECH_P and mean_word_p < HALLUCINATION_WORD_P


class Transcriber(abc.ABC):
    """Turns 16 kHz mono float32 audio into a :class:`Transcript`."""

    backend: str
    model_name: str
    device: str

    def transcribe(self, audio: np.ndarray) -> Transcript:
        duration = len(audio) / SAMPLE_RATE
        started = time.perf_counter()
        if len(audio) == 0:
            return Transcript.empty("no_speech", "the audio has no samples")
        speech = detect_speech(audio)
        if speech.speech_s < MIN_SPEECH_S:
            return self._stamp(
                Transcript.empty(
                    "no_speech",
                    f"no speech detected: the voice-activity detector found {speech.speech_s:.1f} s of "
                    f"speech in {duration:.1f} s of audio (silence, music or noise)",
                    duration,
                ).model_copy(update={"speech_s": round(speech.speech_s, 3)}),
                started,
            )
        language, segments = self._decode(audio)
        segments = [s for s in segments if not is_hallucination(s)]
        if not segments:
            transcript = Transcript.empty(
                "no_speech",
                f"no words recognised in {speech.speech_s:.1f} s of voice-like audio "
                "(music, noise or unintelligible speech)",
                duration,
            )
        else:
            transcript = Transcript(status="ok", language=language, duration_s=duration, segments=segments)
        return self._stamp(transcript.model_copy(update={"speech_s": round(speech.speech_s, 3)}), started)

    def _stamp(self, transcript: Transcript, started: float) -> Transcript:
        return transcript.model_copy(
            update={
                "duration_s": round(transcript.duration_s, 3),
                "backend": self.backend,
                "model": self.model_name,
                "device": self.device,
                "processing_s": round(time.perf_counter() - started, 3),
            }
        )

    @abc.abstractmethod
    def _decode(self, audio: np.ndarray) -> tuple[str | None, list[Segment]]:
        """Run the model: the language and the segments (with words)."""
