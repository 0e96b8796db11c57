"""The platform's storage root and the limits for what it accepts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.media.store import MediaStore
from emotion_platform.lib.model_fields import same_as


class StorageResource(dg.ConfigurableResource):
    """Local folders: the data root (artifacts, quarantine) and the inbox people drop media into.

    The media limits are :class:`~emotion_platform.lib.media.limits.MediaLimits`' fields, with its defaults.
    """

    root: str = Field(description="Root folder of everything the platform writes.")
    inbox: str = Field(description="Folder watched for new media; never modified by the platform.")
    max_bytes: int = same_as(MediaLimits, "max_bytes")
    max_duration_s: float = same_as(MediaLimits, "max_duration_s")
    min_duration_s: float = same_as(MediaLimits, "min_duration_s")
    frame_rate: float = same_as(MediaLimits, "frame_rate")
    frame_max_side: int = same_as(MediaLimits, "frame_max_side")
    min_sample_rate: int = same_as(MediaLimits, "min_sample_rate")
    max_sample_rate: int = same_as(MediaLimits, "max_sample_rate")
    max_channels: int = same_as(MediaLimits, "max_channels")
    max_streams: int = same_as(MediaLimits, "max_streams")
    max_frame_pixels: int = same_as(MediaLimits, "max_frame_pixels")
    settle_s: float = Field(default=2.0, description="A file must be unchanged this long before it is admitted.")

    @property
    def media_store(self) -> MediaStore:
        return MediaStore(Path(self.root))

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox)

    @property
    def limits(self) -> MediaLimits:
        """The media limits this resource is configured with."""
        return MediaLimits(**{name: getattr(self, name) for name in MediaLimits.model_fields})
