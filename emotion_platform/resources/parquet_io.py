"""``ParquetIOManager``: DataFrame-valued assets stored as parquet files under the storage root.

An asset names its file relative to the root in its definition metadata (``PARQUET_FILE``, e.g.
``training/splits.parquet``: the paths dvc.yaml tracks); without it the file is its asset key's path
plus ``.parquet``. Files are written atomically (:mod:`emotion_platform.lib.atomic`): readers see the
previous file or the new one, never a half-written one.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from emotion_platform.lib import atomic

PARQUET_IO_MANAGER = "parquet_io_manager"
"""The resource key the parquet-stored assets name as their ``io_manager_key``."""
PARQUET_FILE = "parquet_file"
"""Definition metadata key: the asset's file, relative to the IO manager's root."""


def parquet_file_of(asset_key: dg.AssetKey, definition_metadata: dict | None) -> Path:
    """The asset's file relative to the root: its ``PARQUET_FILE`` metadata, else its key's path."""
    named = (definition_metadata or {}).get(PARQUET_FILE)
    return Path(str(named)) if named else Path(*asset_key.path).with_suffix(".parquet")


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames as parquet files under ``root`` and loads them back."""

    root: str = Field(description="Folder the files are written under (the platform's storage root).")

    def path_for(self, asset_key: dg.AssetKey, definition_metadata: dict | None) -> Path:
        return Path(self.root) / parquet_file_of(asset_key, definition_metadata)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: expected a DataFrame, got {type(obj).__name__}")
        path = self.path_for(context.asset_key, dict(context.definition_metadata or {}))
        atomic.write_parquet(path, obj)
        context.add_output_metadata({"file": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        metadata = dict(upstream.definition_metadata or {}) if upstream is not None else {}
        path = self.path_for(context.asset_key, metadata)
        if not path.exists():
            raise FileNotFoundError(f"{context.asset_key.to_user_string()}: {path} not found (materialize it first)")
        return pd.read_parquet(path)
