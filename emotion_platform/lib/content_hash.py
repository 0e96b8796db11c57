"""DVC's content hash of a file or folder, computed with DVC's own hashing library (dvc-data).

The value is exactly what ``dvc.lock`` records for a dependency or output at that path: the md5 of
a file, or ``<md5 of the folder's file listing>.dir`` for a folder. The platform shows it as the
data version of the datasets in Dagster, so a changed dataset is visible in both tools alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dvc_data.hashfile.build import build
from dvc_data.hashfile.db import HashFileDB
from dvc_objects.fs.local import LocalFileSystem
from dvc_objects.fs.memory import MemoryFileSystem


@dataclass(frozen=True)
class ContentHash:
    md5: str
    size: int
    files: int


def dvc_content_hash(path: Path) -> ContentHash:
    """The DVC md5 of ``path`` (a file or a folder); nothing is copied into any DVC cache."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: nothing to hash")
    scratch = HashFileDB(MemoryFileSystem(), "/content-hash")  # tree objects are built in memory only
    _, meta, obj = build(scratch, str(path.resolve()), LocalFileSystem(), "md5", dry_run=True)
    md5 = obj.hash_info.value
    assert md5 is not None  # build() hashed it
    return ContentHash(md5=md5, size=int(meta.size or 0), files=int(meta.nfiles or 1))
