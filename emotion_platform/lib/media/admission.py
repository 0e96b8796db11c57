"""Admitting an inbox file into the media store under its content-addressed id."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import MediaRejected
from emotion_platform.lib.media import validation
from emotion_platform.lib.media.ids import HASH_PREFIX_LEN, media_id, safe_name, sha256_file
from emotion_platform.lib.media.inbox import InboxFile, fingerprint_id
from emotion_platform.lib.media.quarantine import quarantine
from emotion_platform.lib.media.store import MediaStore


@dataclass(frozen=True)
class Admission:
    """What happened to one inbox file: admitted as new, recognised as a duplicate, or rejected."""

    relpath: str
    media_id: str | None = None
    duplicate_of: str | None = None
    rejection: MediaRejected | None = None

    @property
    def is_new(self) -> bool:
        return self.media_id is not None and self.duplicate_of is None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def admit(item: InboxFile, store: MediaStore, max_bytes: int) -> Admission:
    """Copy a settled inbox file into the store (atomically) unless its bytes are already there.

    Cheap rejections (symlink, empty, over the size limit) are quarantined here, before any copy.
    """
    try:
        validation.check_file(item.path, max_bytes)
    except MediaRejected as error:
        quarantine(
            store,
            f"{fingerprint_id(item.relpath, item.fingerprint)}-{safe_name(item.path.name)}",
            error,
            stage="admission",
            source=item.path,
            keep_copy=error.code == "empty",
        )
        return Admission(item.relpath, rejection=error)
    digest = sha256_file(item.path)
    existing = store.find_by_hash_prefix(digest[:HASH_PREFIX_LEN])
    if existing:
        _add_alias(store, existing, item)
        return Admission(item.relpath, media_id=existing, duplicate_of=existing)
    key = media_id(digest, item.path.name)
    target = store.raw_dir(key) / safe_name(item.path.name)
    atomic.copy_file(item.path, target, stage="admission")
    if sha256_file(target) != digest:
        target.unlink()
        raise OSError(f"{item.path} changed while it was being copied; it will be retried")
    atomic.write_json(
        store.manifest_path(key),
        {
            "media_id": key,
            "sha256": digest,
            "original_name": item.path.name,
            "inbox_path": item.relpath,
            "stored_as": target.name,
            "size_bytes": target.stat().st_size,
            "admitted_at": _now(),
            "aliases": [],
        },
    )
    return Admission(item.relpath, media_id=key)


def _add_alias(store: MediaStore, key: str, item: InboxFile) -> None:
    path = store.manifest_path(key)
    manifest = json.loads(path.read_text())
    names = {a["inbox_path"] for a in manifest["aliases"]} | {manifest["inbox_path"]}
    if item.relpath not in names:
        manifest["aliases"].append({"inbox_path": item.relpath, "seen_at": _now()})
        atomic.write_json(path, manifest)


def read_manifest(store: MediaStore, key: str) -> dict:
    return json.loads(store.manifest_path(key).read_text())


def stored_file(store: MediaStore, key: str) -> Path:
    manifest = read_manifest(store, key)
    return store.raw_dir(key) / manifest["stored_as"]
