"""``ParquetIOManager``: DataFrames stored at their named path, written atomically, loaded back whole."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from emotion_platform.lib.atomic import TEMP_MARKER
from emotion_platform.resources.parquet_io import PARQUET_FILE, PARQUET_IO_MANAGER, ParquetIOManager

ROWS = pd.DataFrame({"example_id": ["a", "b", "c"], "label": ["joy", "anger", "neutral"], "split": ["train"] * 3})


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if TEMP_MARKER in p.name]


def test_round_trip_at_the_named_path_through_materialize(tmp_path: Path) -> None:
    @dg.asset(io_manager_key=PARQUET_IO_MANAGER, metadata={PARQUET_FILE: "training/table.parquet"})
    def table() -> pd.DataFrame:
        return ROWS

    @dg.asset
    def row_count(table: pd.DataFrame) -> int:
        return len(table)

    result = dg.materialize([table, row_count], resources={PARQUET_IO_MANAGER: ParquetIOManager(root=str(tmp_path))})

    assert result.success
    path = tmp_path / "training" / "table.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(path), ROWS)
    assert result.asset_value("row_count") == 3  # the downstream asset got the DataFrame back
    assert result.asset_materializations_for_node("table")[0].metadata["file"].value == str(path)
    assert _leftovers(tmp_path) == []


def test_without_a_named_file_the_asset_key_is_the_path(tmp_path: Path) -> None:
    manager = ParquetIOManager(root=str(tmp_path))
    output = dg.build_output_context(asset_key=dg.AssetKey(["drift", "window"]))
    manager.handle_output(output, ROWS)

    assert (tmp_path / "drift" / "window.parquet").exists()
    loaded = manager.load_input(
        dg.build_input_context(asset_key=dg.AssetKey(["drift", "window"]), upstream_output=output)
    )
    pd.testing.assert_frame_equal(loaded, ROWS)


def test_a_write_that_dies_halfway_keeps_the_previous_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = ParquetIOManager(root=str(tmp_path))
    output = dg.build_output_context(asset_key="table", definition_metadata={PARQUET_FILE: "training/table.parquet"})
    manager.handle_output(output, ROWS)

    def half_write(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("the disk went away")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_write)
    with pytest.raises(OSError, match="the disk went away"):
        manager.handle_output(output, ROWS.head(1))

    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "training" / "table.parquet"), ROWS)
    assert _leftovers(tmp_path) == []


def test_only_dataframes_are_stored(tmp_path: Path) -> None:
    manager = ParquetIOManager(root=str(tmp_path))
    with pytest.raises(TypeError, match="expected a DataFrame"):
        manager.handle_output(dg.build_output_context(asset_key="table"), {"not": "a frame"})  # type: ignore[arg-type]
    assert not (tmp_path / "table.parquet").exists()
