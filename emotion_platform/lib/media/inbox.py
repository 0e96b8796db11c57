"""Watching an inbox folder: which files are new, settled and worth looking at.

The inbox belongs to the people who drop files into it: the platform never modifies, moves or
deletes anything there. It remembers what it has seen by a fingerprint (size and mtime) per
relative path, so an unchanged file is not hashed twice and a file rewritten in place is seen again.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

# Names that are being written or are not meant for us (editors, browsers, OS metadata).
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", ".swp")


def fingerprint(stat_result: os.stat_result) -> str:
    return f"{stat_result.st_size}:{stat_result.st_mtime_ns}"


def fingerprint_id(relpath: str, fp: str) -> str:
    """A short stable id for a file we did not hash (used to name its quarantine folder)."""
    return "f" + hashlib.sha256(f"{relpath}\0{fp}".encode()).hexdigest()[:11]


@dataclass(frozen=True)
class InboxFile:
    path: Path
    relpath: str
    fingerprint: str


@dataclass
class InboxScan:
    ready: list[InboxFile] = field(default_factory=list)
    settling: list[str] = field(default_factory=list)
    present: dict[str, str] = field(default_factory=dict)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)


def scan_inbox(inbox: Path, seen: dict[str, str], settle_s: float = 2.0, now: float | None = None) -> InboxScan:
    """Files in ``inbox`` (recursively) that are new or changed since ``seen`` and have settled.

    A file modified less than ``settle_s`` seconds ago may still be being written: it is left
    for the next scan. Hidden files and partial-download names are ignored.
    """
    now = time.time() if now is None else now
    scan = InboxScan()
    if not inbox.exists():
        return scan
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if _ignored(name):
                continue
            path = Path(dirpath) / name
            relpath = path.relative_to(inbox).as_posix()
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            fp = fingerprint(info)
            if seen.get(relpath) == fp:
                scan.present[relpath] = fp
                continue
            if now - info.st_mtime < settle_s:
                scan.settling.append(relpath)
                continue
            scan.present[relpath] = fp
            scan.ready.append(InboxFile(path, relpath, fp))
    return scan
