"""Setting rejected files aside with their reason, so nothing is lost and nothing is retried blindly."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import MediaRejected
from emotion_platform.lib.media.store import MediaStore


def quarantine(
    store: MediaStore, item_id: str, error: MediaRejected, stage: str, source: Path, keep_copy: bool
) -> Path:
    """Record ``error`` under ``quarantine/<item_id>/reason.json``; copy the file beside it if asked.

    The source file itself is never modified or deleted.
    """
    folder = store.quarantine_dir(item_id)
    folder.mkdir(parents=True, exist_ok=True)
    copied = None
    if keep_copy and source.is_file() and not source.is_symlink():
        copied = atomic.copy_file(source, folder / f"original{source.suffix.lower()[:10]}")
    record = {
        "item_id": item_id,
        "code": error.code,
        "reason": error.reason,
        "stage": stage,
        "source": str(source),
        "original_name": source.name,
        "copy": str(copied) if copied else None,
        "quarantined_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    atomic.write_json(folder / "reason.json", record)
    return folder / "reason.json"


def read_reason(path: Path) -> dict:
    return json.loads(path.read_text())


def list_quarantined(store: MediaStore) -> list[dict]:
    """Every quarantine record, oldest first."""
    records = [read_reason(p) for p in store.quarantine_root.glob("*/reason.json")]
    return sorted(records, key=lambda r: r["quarantined_at"])


def clear(store: MediaStore, item_id: str) -> None:
    """Forget a quarantined item (after a person has looked at it)."""
    shutil.rmtree(store.quarantine_dir(item_id), ignore_errors=False)
