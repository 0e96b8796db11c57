"""Cleaning up after processes that died: their temporary files, and whether a process still lives.

Every artifact is written under ``.<name>.tmp-<pid>-<random>`` and renamed into place
(:mod:`emotion_platform.lib.atomic`), so a process killed mid-write leaves only such a file, never
a half-written artifact under the real name. :func:`sweep_orphans` removes those whose writer is
gone; files of live writers (another run in progress) are left alone.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from emotion_platform.lib.atomic import TEMP_MARKER

_TEMP_NAME = re.compile(rf"^\..+{re.escape(TEMP_MARKER)}(\d+)-[0-9a-f]{{8}}$")


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    status = Path(f"/proc/{pid}/stat")
    if status.exists():
        fields = status.read_text().rsplit(")", 1)[-1].split()
        return not fields or fields[0] != "Z"
    return True


def orphan_writer_pid(path: Path) -> int | None:
    """The writer's process id if ``path`` is an atomic-write temporary, else None."""
    match = _TEMP_NAME.match(path.name)
    return int(match.group(1)) if match else None


def sweep_orphans(root: Path) -> list[Path]:
    """Remove the temporaries under ``root`` left by writers that no longer run; returns what went."""
    removed: list[Path] = []
    if not root.exists():
        return removed
    for folder, dirs, files in os.walk(root):
        for name in [*files, *dirs]:
            path = Path(folder) / name
            pid = orphan_writer_pid(path)
            if pid is None or process_alive(pid):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=False)
                dirs.remove(name)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed
