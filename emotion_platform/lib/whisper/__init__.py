"""Offline Whisper weights: reading CTranslate2 models, converting them for openai-whisper, caching."""

from emotion_platform.lib.whisper.models import (
    WHISPER_MODELS,
    ModelIntegrityError,
    ctranslate2_model_dir,
    load_openai_whisper,
    openai_whisper_checkpoint,
)

__all__ = [
    "WHISPER_MODELS",
    "ModelIntegrityError",
    "ctranslate2_model_dir",
    "load_openai_whisper",
    "openai_whisper_checkpoint",
]
