"""emotion_platform: a Dagster-orchestrated platform for emotion detection in audio and video."""

__version__ = "0.1.0"
