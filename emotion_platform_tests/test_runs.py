"""``runs.without_media_records``: which partitions must go through the media pipeline again before
predictions can read their records."""

from pathlib import Path

from emotion_platform.lib.media.store import PREPARED_FILE, TRANSCRIPT_FILE
from emotion_platform.runs import without_media_records


def _store(root: Path, pattern: str, key: str) -> None:
    path = root / pattern.format(partition=key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")


def test_a_partition_lacking_either_record_is_listed(tmp_path: Path) -> None:
    _store(tmp_path, PREPARED_FILE, "both")
    _store(tmp_path, TRANSCRIPT_FILE, "both")
    _store(tmp_path, TRANSCRIPT_FILE, "transcript-only")
    _store(tmp_path, PREPARED_FILE, "media-only")

    keys = ["both", "transcript-only", "media-only", "neither"]
    assert without_media_records(tmp_path, keys) == ["transcript-only", "media-only", "neither"]
