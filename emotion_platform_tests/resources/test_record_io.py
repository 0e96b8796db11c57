"""``RecordIOManager``: typed records stored per partition at their named file and loaded back as the
type the downstream asset asks for; written atomically; a misdeclared asset is a clear error."""

from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from emotion_platform.lib.atomic import TEMP_MARKER
from emotion_platform.lib.features import FEATURES_FILE, MediaFeatures
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.predict import SUMMARY_FILE, MediaSummary
from emotion_platform.resources.record_io import RECORD_IO_MANAGER, RecordIOManager, record_path, stored_at

PARTS = dg.StaticPartitionsDefinition(["clip-a", "clip-b"])
JOY = MediaSummary(
    segments=2,
    emotions={e: (0.7 if e == "joy" else 0.05) for e in EMOTIONS},
    dominant="joy",
    confidence=0.7,
    reason=None,
)


def _features(media_id: str) -> MediaFeatures:
    return MediaFeatures(
        media_id,
        [(0.0, 1.5), (1.5, 3.0)],
        ["hello there", None],
        np.array([[0.1, 0.2], [np.nan, np.nan]], dtype=np.float32),
        np.zeros((2, 3)),
        np.full((2, len(EMOTIONS)), np.nan),
        [None, None],
        reason=None,
    )


def test_records_round_trip_per_partition_as_the_annotated_type(tmp_path: Path) -> None:
    @dg.asset(partitions_def=PARTS, io_manager_key=RECORD_IO_MANAGER, metadata=stored_at(SUMMARY_FILE))
    def summary(context: dg.AssetExecutionContext) -> MediaSummary:
        return JOY.model_copy(update={"media_id": context.partition_key})

    @dg.asset(partitions_def=PARTS, io_manager_key=RECORD_IO_MANAGER, metadata=stored_at(FEATURES_FILE))
    def feats(context: dg.AssetExecutionContext) -> MediaFeatures:
        return _features(context.partition_key)

    @dg.asset(partitions_def=PARTS)
    def seen(summary: MediaSummary, feats: MediaFeatures) -> str:
        return f"{summary.media_id}:{summary.dominant}:{len(feats)}:{feats.texts[0]}"

    manager = RecordIOManager(root=str(tmp_path))
    result = dg.materialize([summary, feats, seen], partition_key="clip-b", resources={RECORD_IO_MANAGER: manager})

    assert result.success
    assert result.asset_value("seen") == "clip-b:joy:2:hello there"  # loaded back typed, from the files
    stored = tmp_path / "predictions" / "clip-b.summary.json"
    assert MediaSummary.load(stored) == JOY.model_copy(update={"media_id": "clip-b"})
    assert result.asset_materializations_for_node("summary")[0].metadata["file"].value == str(stored)
    assert MediaFeatures.load(tmp_path / "features" / "clip-b.npz").spans == [(0.0, 1.5), (1.5, 3.0)]
    assert not (tmp_path / "predictions" / "clip-a.summary.json").exists()
    assert [p for p in tmp_path.rglob("*") if TEMP_MARKER in p.name] == []


def test_a_failed_write_keeps_the_previous_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = RecordIOManager(root=str(tmp_path))
    output = dg.build_output_context(
        asset_key="summary", definition_metadata=stored_at(SUMMARY_FILE), partition_key="clip-a"
    )
    manager.handle_output(output, JOY)

    def dies_halfway(self: MediaSummary, **kwargs: object) -> str:
        raise OSError("the disk went away")

    monkeypatch.setattr(MediaSummary, "model_dump_json", dies_halfway)
    with pytest.raises(OSError, match="the disk went away"):
        manager.handle_output(output, JOY.model_copy(update={"dominant": "anger"}))
    assert MediaSummary.load(tmp_path / "predictions" / "clip-a.summary.json").dominant == "joy"


def test_misdeclared_assets_are_clear_errors(tmp_path: Path) -> None:
    manager = RecordIOManager(root=str(tmp_path))
    with pytest.raises(TypeError, match="is not a stored record"):
        manager.handle_output(dg.build_output_context(asset_key="x", definition_metadata=stored_at("x.json")), {"a": 1})
    with pytest.raises(TypeError, match="must name its file with stored_at"):
        manager.handle_output(dg.build_output_context(asset_key="x"), JOY)
    with pytest.raises(TypeError, match="not partitioned"):
        record_path(tmp_path, stored_at(SUMMARY_FILE), None)
    assert list(tmp_path.iterdir()) == []
