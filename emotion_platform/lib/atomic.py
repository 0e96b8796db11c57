"""Write files and folders so that readers never see a half-written artifact.

Everything is written under a temporary name in the destination's own folder (same filesystem)
and then renamed into place with :func:`os.replace`, which is atomic on POSIX. A temporary name
carries the writer's process id (``.<name>.tmp-<pid>-<random>``), so the files of a process that died
mid-write can be recognised and swept (:func:`emotion_platform.lib.recovery.sweep_orphans`).

``stage`` names the pipeline stage a write belongs to: the fault-injection tests crash the process
there (:mod:`emotion_platform.lib.faults`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emotion_platform.lib.errors import StorageFull
from emotion_platform.lib.faults import crash_point

if TYPE_CHECKING:
    import pandas as pd

TEMP_MARKER = ".tmp-"


def _temp_name(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}{TEMP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def atomic_path(dest: Path, stage: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``dest``; on success it is fsynced and renamed to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(dest)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if stage:
            crash_point(stage)
        os.replace(tmp, dest)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise StorageFull(dest, "writing it ran out of space") from error
        raise
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(dest: Path, stage: str | None = None) -> Iterator[Path]:
    """Yield a temporary folder next to ``dest``; on success it replaces ``dest`` whole."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(dest)
    tmp.mkdir()
    try:
        yield tmp
        if stage:
            crash_point(stage)
        if dest.exists():
            old = _temp_name(dest)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old)
        else:
            os.replace(tmp, dest)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise StorageFull(dest, "writing it ran out of space") from error
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_bytes(dest: Path, data: bytes, stage: str | None = None) -> Path:
    with atomic_path(dest, stage) as tmp:
        tmp.write_bytes(data)
    return dest


def write_text(dest: Path, text: str, stage: str | None = None) -> Path:
    return write_bytes(dest, text.encode("utf-8"), stage)


def write_json(dest: Path, obj: Any, stage: str | None = None) -> Path:
    return write_text(dest, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n", stage)


def write_parquet(dest: Path, table: pd.DataFrame, stage: str | None = None) -> Path:
    """A table as a parquet file, without its index."""
    with atomic_path(dest, stage) as tmp:
        table.to_parquet(tmp, index=False)
    return dest


def copy_file(src: Path, dest: Path, stage: str | None = None) -> Path:
    """Copy ``src`` to ``dest`` atomically (the copy appears whole or not at all)."""
    with atomic_path(dest, stage) as tmp:
        shutil.copyfile(src, tmp)
    return dest
