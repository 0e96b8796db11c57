"""Dagster resources: every outside thing (storage, models) that assets use."""

from emotion_platform.resources.storage import StorageResource
from emotion_platform.resources.transcriber import TranscriberResource

__all__ = ["StorageResource", "TranscriberResource"]
