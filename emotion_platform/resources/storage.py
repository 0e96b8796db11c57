"""The platform's storage root and the limits for what it accepts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from emotion_platform.lib.media.prepare import DecodeLimits
from emotion_platform.lib.media.store import MediaStore


class StorageResource(dg.ConfigurableResource):
    """Local folders: the data root (artifacts, quarantine) and the inbox people drop media into."""

    root: str = Field(description="Root folder of everything the platform writes.")
    inbox: str = Field(description="Folder watched for new media; never modified by the platform.")
    max_bytes: int = Field(default=2 * 1024**3, description="Largest accepted file, in bytes.")
    max_duration_s: float = Field(default=3 * 3600.0, description="Longest accepted media, in seconds.")
    min_duration_s: float = Field(default=0.1, description="Shortest accepted media, in seconds.")
    frame_rate: float = Field(default=2.0, description="Video frames sampled per second.")
    frame_max_side: int = Field(default=640, description="Largest side of a sampled frame, in pixels.")
    settle_s: float = Field(default=2.0, description="A file must be unchanged this long before it is admitted.")

    @property
    def media_store(self) -> MediaStore:
        return MediaStore(Path(self.root))

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox)

    @property
    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(
            max_bytes=self.max_bytes,
            max_duration_s=self.max_duration_s,
            min_duration_s=self.min_duration_s,
            frame_rate=self.frame_rate,
            frame_max_side=self.frame_max_side,
        )
