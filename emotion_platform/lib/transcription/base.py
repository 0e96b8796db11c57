"""The transcriber interface: backends decode; this class decides when there is nothing to decode."""

from __future__ import annotations

import abc
import time
from collections.abc import Callable

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform.lib.transcription.vad import SpeechRegions, detect_speech

# Below this much detected speech, a file is reported as having no speech instead of transcribed:
# Whisper invents words ("Thank you.") on silence and music.
MIN_SPEECH_S = 0.3
# A segment the model itself probably considers non-speech, with unsure words, is a hallucination
# ("Mmm.", "Thank you.") on music or noise that the voice-activity detector let through.
HALLUCINATION_NO_SPEECH_P = 0.5
HALLUCINATION_WORD_P = 0.4
HALLUCINATION_LOGPROB = -1.0

Decoded = tuple[str | None, list[Segment]]


def is_hallucination(segment: Segment) -> bool:
    """True for segments with no letters, or unlikely speech decoded with low confidence."""
    if not any(ch.isalnum() for ch in segment.text):
        return True
    if segment.no_speech_prob <= HALLUCINATION_NO_SPEECH_P:
        return False
    mean_word_p = sum(w.probability for w in segment.words) / len(segment.words) if segment.words else 1.0
    return mean_word_p < HALLUCINATION_WORD_P or segment.avg_logprob < HALLUCINATION_LOGPROB


OnProgress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """No one is following the progress."""


class Transcriber(abc.ABC):
    """Turns 16 kHz mono float32 audio into a :class:`Transcript`."""

    backend: str
    model_name: str
    device: str

    def transcribe(self, audio: np.ndarray, on_progress: OnProgress | None = None) -> Transcript:
        return self.transcribe_many([audio], on_progress)[0]

    def transcribe_many(self, audios: list[np.ndarray], on_progress: OnProgress | None = None) -> list[Transcript]:
        """Transcripts of several recordings; backends may decode them together (batched).

        ``on_progress(done, total)`` is called as decoding goes (windows for the batched backend,
        recordings otherwise), for a caller that shows progress on long media.
        """
        started = time.perf_counter()
        speech = [detect_speech(a) if len(a) else SpeechRegions([]) for a in audios]
        to_decode = [i for i, s in enumerate(speech) if s.speech_s >= MIN_SPEECH_S]
        items = [(audios[i], speech[i]) for i in to_decode]
        decoded = dict(zip(to_decode, self._decode_many(items, on_progress or no_progress), strict=True))
        elapsed = time.perf_counter() - started
        total_s = sum(len(a) for a in audios) / SAMPLE_RATE or 1.0
        transcripts = []
        for i, audio in enumerate(audios):
            duration = len(audio) / SAMPLE_RATE
            transcript = self._outcome(duration, speech[i], decoded.get(i))
            transcripts.append(
                transcript.model_copy(
                    update={
                        "duration_s": round(duration, 3),
                        "speech_s": round(speech[i].speech_s, 3),
                        "backend": self.backend,
                        "model": self.model_name,
                        "device": self.device,
                        # Batched work is shared: each recording is charged its share of the wall time.
                        "processing_s": round(elapsed * (duration / total_s if len(audios) > 1 else 1.0), 3),
                    }
                )
            )
        return transcripts

    @staticmethod
    def _outcome(duration: float, speech: SpeechRegions, decoded: Decoded | None) -> Transcript:
        if duration == 0:
            return Transcript.empty("no_speech", "the audio has no samples")
        if decoded is None:
            return Transcript.empty(
                "no_speech",
                f"no speech detected: the voice-activity detector found {speech.speech_s:.1f} s of "
                f"speech in {duration:.1f} s of audio (silence, music or noise)",
                duration,
            )
        language, segments = decoded
        segments = [
            s.model_copy(update={"id": n}) for n, s in enumerate(s for s in segments if not is_hallucination(s))
        ]
        if not segments:
            return Transcript.empty(
                "no_speech",
                f"no words recognised in {speech.speech_s:.1f} s of voice-like audio "
                "(music, noise or unintelligible speech)",
                duration,
            )
        return Transcript(status="ok", language=language, duration_s=duration, segments=segments)

    def _decode_many(self, items: list[tuple[np.ndarray, SpeechRegions]], on_progress: OnProgress) -> list[Decoded]:
        decoded = []
        for audio, speech in items:
            decoded.append(self._decode(audio, speech))
            on_progress(len(decoded), len(items))
        return decoded

    @abc.abstractmethod
    def _decode(self, audio: np.ndarray, speech: SpeechRegions) -> Decoded:
        """Run the model on one recording: the language and the segments (with words)."""
