"""Building a transcriber from plain settings."""

from __future__ import annotations

from pathlib import Path

from emotion_platform.lib.transcription.base import Transcriber

BACKENDS = ("openai-whisper", "faster-whisper")


def build_transcriber(
    backend: str, model_name: str, cache_dir: Path, device: str = "auto", **options: object
) -> Transcriber:
    """A ready transcriber: ``backend`` is ``openai-whisper`` or ``faster-whisper``.

    >>> t = build_transcriber("faster-whisper", "tiny.en", Path("~/.cache/emotion_platform"))
    """
    if backend == "openai-whisper":
        from emotion_platform.lib.transcription.openai_backend import OpenAIWhisperTranscriber

        return OpenAIWhisperTranscriber(model_name, cache_dir, device=device, **options)  # type: ignore[arg-type]
    if backend == "faster-whisper":
        from emotion_platform.lib.transcription.faster_backend import FasterWhisperTranscriber
        from emotion_platform.lib.whisper import ctranslate2_model_dir

        model_dir = ctranslate2_model_dir(model_name, cache_dir)
        return FasterWhisperTranscriber(model_name, model_dir, device=device, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown transcriber backend {backend!r}; choose one of {', '.join(BACKENDS)}")
