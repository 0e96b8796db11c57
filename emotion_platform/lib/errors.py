"""The platform's exception tree.

Every rejection of user input is a :class:`MediaRejected` with a stable machine-readable ``code``,
the offending file and a sentence a person can act on. The serving edge maps codes to HTTP
statuses; the ingestion stage writes them into quarantine records and asset metadata.

    EmotionPlatformError
    └── MediaRejected
        ├── EmptyMedia          (code "empty")
        ├── MediaTooLarge       (code "too_large")
        ├── MediaTooLong        (code "too_long")
        ├── MediaTooShort       (code "too_short")
        ├── UnsupportedMedia    (code "not_media")
        ├── NoMediaStreams      (code "no_streams")
        ├── CorruptMedia        (code "corrupt")
        ├── MediaOverLimits     (code "over_limits")
        └── UnsafeMediaPath     (code "unsafe_path")
    StorageFull                 (code "storage_full": the platform's disk, not the file, is at fault)
    ToolMissing
"""

from __future__ import annotations

from pathlib import Path


class EmotionPlatformError(Exception):
    """Base class of every error the platform raises on purpose."""


class MediaRejected(EmotionPlatformError):
    """A media file the platform will not process, with the reason."""

    code = "rejected"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name!r} rejected ({self.code}): {reason}")


class EmptyMedia(MediaRejected):
    code = "empty"


class MediaTooLarge(MediaRejected):
    code = "too_large"


class MediaTooLong(MediaRejected):
    code = "too_long"


class MediaTooShort(MediaRejected):
    code = "too_short"


class UnsupportedMedia(MediaRejected):
    code = "not_media"


class NoMediaStreams(MediaRejected):
    code = "no_streams"


class CorruptMedia(MediaRejected):
    code = "corrupt"


class MediaOverLimits(MediaRejected):
    """Media beyond what the platform decodes: frame size, channels, sample rate, streams, decode time."""

    code = "over_limits"


class UnsafeMediaPath(MediaRejected):
    code = "unsafe_path"


class StorageFull(EmotionPlatformError):
    """The disk that should hold an artifact has no room left. Not the media's fault: nothing is
    quarantined; the work fails now and runs again once there is room (the recovery path)."""

    code = "storage_full"

    def __init__(self, path: Path | str, detail: str = "") -> None:
        self.path = Path(path)
        self.reason = (
            f"the disk holding {self.path.parent} is full"
            + (f" ({detail})" if detail else "")
            + "; free space there and the work is picked up again"
        )
        super().__init__(self.reason)


class ToolMissing(EmotionPlatformError):
    """An external program the platform needs (ffmpeg, ffprobe) is not installed."""
