"""Where media artifacts live under the platform's data folder.

<root>/media/raw/<media_id>/<safe_name>     the admitted bytes (never modified)
<root>/media/raw/<media_id>/manifest.json   sha256, original name(s), when admitted
<root>/media/audio/<media_id>.wav           16 kHz mono float32
<root>/media/frames/<media_id>/             sampled JPEG frames + index.json
<root>/media/records/<media_id>.json        what probing and decoding found (the ``media`` asset's record)
<root>/transcripts/<media_id>.json          the transcript
<root>/quarantine/<item_id>/reason.json     why a file was rejected (+ a copy of it)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PREPARED_FILE = "media/records/{partition}.json"
TRANSCRIPT_FILE = "transcripts/{partition}.json"
"""Where the record IO manager keeps the ``media`` and ``transcripts`` records, under the root."""


@dataclass(frozen=True)
class MediaStore:
    root: Path

    @property
    def raw_root(self) -> Path:
        return self.root / "media" / "raw"

    @property
    def quarantine_root(self) -> Path:
        return self.root / "quarantine"

    def raw_dir(self, media_id: str) -> Path:
        return self.raw_root / media_id

    def manifest_path(self, media_id: str) -> Path:
        return self.raw_dir(media_id) / "manifest.json"

    def audio_path(self, media_id: str) -> Path:
        return self.root / "media" / "audio" / f"{media_id}.wav"

    def frames_dir(self, media_id: str) -> Path:
        return self.root / "media" / "frames" / media_id

    def transcript_path(self, media_id: str) -> Path:
        return self.root / TRANSCRIPT_FILE.format(partition=media_id)

    def quarantine_dir(self, item_id: str) -> Path:
        return self.quarantine_root / item_id

    def find_by_hash_prefix(self, prefix: str) -> str | None:
        """The media id already admitted with this content-hash prefix, if any."""
        matches = sorted(p.name for p in self.raw_root.glob(f"{prefix}-*") if (p / "manifest.json").exists())
        return matches[0] if matches else None
