"""DVC's content hash through dvc-data: what dvc.lock records, computed without a DVC repository."""

import hashlib
from pathlib import Path

import pytest

from emotion_platform.lib.content_hash import dvc_content_hash


def test_a_file_hashes_to_its_md5(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(b"file,label\na.wav,angry\n")
    digest = dvc_content_hash(path)
    assert digest.md5 == hashlib.md5(path.read_bytes()).hexdigest()
    assert (digest.size, digest.files) == (path.stat().st_size, 1)


def test_a_folder_hash_follows_its_content_not_its_timestamps(tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    (folder / "audio").mkdir(parents=True)
    (folder / "audio" / "a.opus").write_bytes(b"\x00" * 100)
    (folder / "labels.csv").write_text("file,label\n")
    first = dvc_content_hash(folder)
    assert first.md5.endswith(".dir") and first.files == 2 and first.size == 111
    (folder / "labels.csv").touch()
    assert dvc_content_hash(folder).md5 == first.md5
    (folder / "labels.csv").write_text("file,label\naudio/a.opus,sad\n")
    assert dvc_content_hash(folder).md5 != first.md5


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        dvc_content_hash(tmp_path / "nope")
