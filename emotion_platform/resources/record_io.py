"""``RecordIOManager``: stores the typed records assets hand each other (:mod:`emotion_platform.lib.records`).

An asset names its file under the storage root in its definition metadata with :func:`stored_at`
(``transcripts/{partition}.json``: ``{partition}`` is the partition key); the downstream asset's
annotation (``transcripts: Transcript``) says which type to load the file back as. Files are written
atomically, so a reader sees the previous record or the new one, never half of one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from emotion_platform.lib.records import StoredRecord

RECORD_IO_MANAGER = "record_io_manager"
"""The resource key the record-valued assets name as their ``io_manager_key``."""
RECORD_FILE = "record_file"
RECORD_STAGE = "record_stage"


def stored_at(file: str, stage: str | None = None) -> dict[str, str]:
    """Definition metadata: the record's file under the root (``{partition}`` is filled in) and the
    fault-injection stage its write belongs to."""
    return {RECORD_FILE: file} | ({RECORD_STAGE: stage} if stage else {})


def record_path(root: Path, definition_metadata: dict[str, Any], partition_key: str | None) -> Path:
    """Where a record is stored: its ``stored_at`` file under ``root``, for this partition."""
    pattern = definition_metadata.get(RECORD_FILE)
    if not pattern:
        raise TypeError(f"an asset stored by {RECORD_IO_MANAGER} must name its file with stored_at(...)")
    if "{partition}" in str(pattern) and partition_key is None:
        raise TypeError(f"{pattern} is per partition, but the asset is not partitioned")
    return Path(root) / str(pattern).format(partition=partition_key)


class RecordIOManager(dg.ConfigurableIOManager):
    """Stores each record as its own file under ``root`` and loads it back as the annotated type."""

    root: str = Field(description="Folder the records are written under (the platform's storage root).")

    def handle_output(self, context: dg.OutputContext, obj: StoredRecord) -> None:
        if not callable(getattr(obj, "save", None)):
            raise TypeError(f"{context.asset_key.to_user_string()}: {type(obj).__name__} is not a stored record")
        metadata = dict(context.definition_metadata or {})
        key = context.partition_key if context.has_partition_key else None
        path = obj.save(record_path(Path(self.root), metadata, key), stage=metadata.get(RECORD_STAGE))
        context.add_output_metadata({"file": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> StoredRecord:
        upstream = context.upstream_output
        metadata = dict(upstream.definition_metadata or {}) if upstream is not None else {}
        key = context.asset_partition_key if context.has_asset_partitions else None
        path = record_path(Path(self.root), metadata, key)
        record_type = context.dagster_type.typing_type
        if not callable(getattr(record_type, "load", None)):
            raise TypeError(f"{context.name}: annotate the input with its record type, not {record_type!r}")
        if not path.exists():
            raise FileNotFoundError(f"{context.asset_key.to_user_string()}: {path} not found (materialize it first)")
        return record_type.load(path)
