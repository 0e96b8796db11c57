"""Speech to text with Whisper: one interface, two backends (openai-whisper and faster-whisper)."""

from emotion_platform.lib.transcription.factory import build_transcriber
from emotion_platform.lib.transcription.types import Segment, Transcript, Word

__all__ = ["Segment", "Transcript", "Word", "build_transcriber"]
