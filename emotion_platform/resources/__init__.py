"""Dagster resources: every outside thing (storage, models) that assets use."""

from emotion_platform.resources.parquet_io import PARQUET_IO_MANAGER, ParquetIOManager
from emotion_platform.resources.record_io import RECORD_IO_MANAGER, RecordIOManager
from emotion_platform.resources.storage import StorageResource
from emotion_platform.resources.transcriber import TranscriberResource

__all__ = [
    "PARQUET_IO_MANAGER",
    "RECORD_IO_MANAGER",
    "ParquetIOManager",
    "RecordIOManager",
    "StorageResource",
    "TranscriberResource",
]
