"""Stable identifiers for media files.

A media id is the first 12 hex digits of the file's SHA-256 plus a filesystem- and URL-safe
version of its name, e.g. ``3fa2c91b07de-interview_cafe.wav``. The same bytes always give the
same prefix, so a file uploaded twice (under any name) is recognised as one item.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

HASH_PREFIX_LEN = 12
MAX_SAFE_NAME = 48
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def safe_name(name: str) -> str:
    """A lower-case ASCII name with no path separators, no leading dots and no ``..``.

    >>> safe_name("../../etc/Café Noir (take 2).WAV")
    'cafe_noir_take_2_.wav'
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii").lower()
    cleaned = _UNSAFE.sub("_", ascii_name)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip("._-")
    if len(cleaned) > MAX_SAFE_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and len(ext) <= 5:
            cleaned = stem[: MAX_SAFE_NAME - len(ext) - 1].rstrip("._-") + "." + ext
        else:
            cleaned = cleaned[:MAX_SAFE_NAME].rstrip("._-")
    return cleaned or "media"


def media_id(sha256_hex: str, original_name: str) -> str:
    """The partition key of a media file: hash prefix plus safe name."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256_hex):
        raise ValueError(f"not a hex SHA-256 digest: {sha256_hex!r}")
    return f"{sha256_hex[:HASH_PREFIX_LEN]}-{safe_name(original_name)}"


def hash_prefix(media_key: str) -> str:
    """The content-hash part of a media id."""
    return media_key.split("-", 1)[0]
