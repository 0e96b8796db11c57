"""Checks that decide whether a file is accepted as media, before and after probing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from emotion_platform.lib.errors import (
    EmptyMedia,
    MediaTooLarge,
    MediaTooLong,
    MediaTooShort,
    UnsafeMediaPath,
)
from emotion_platform.lib.media.limits import DEFAULT_LIMITS, MediaLimits, check_audio_format, check_frame_size
from emotion_platform.lib.media.probe import MediaInfo


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def check_file(path: Path, max_bytes: int) -> int:
    """Cheap checks on the file itself (no reading): a regular, non-empty file within the size limit.

    Returns the size in bytes.
    """
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeMediaPath(path, "symbolic links are not followed; copy the file into the inbox instead")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeMediaPath(path, "not a regular file")
    if info.st_size == 0:
        raise EmptyMedia(path, "the file is empty (0 bytes)")
    if info.st_size > max_bytes:
        raise MediaTooLarge(path, f"{human_bytes(info.st_size)} is over the {human_bytes(max_bytes)} limit")
    return info.st_size


def check_streams(path: Path, info: MediaInfo, limits: MediaLimits = DEFAULT_LIMITS) -> None:
    """Reject streams beyond the decoding limits (:class:`~emotion_platform.lib.media.limits.MediaLimits`)."""
    if info.audio is not None:
        check_audio_format(path, info.audio.sample_rate, info.audio.channels, limits)
    if info.video is not None:
        check_frame_size(path, info.video.width, info.video.height, limits)


def check_duration(path: Path, info: MediaInfo, min_s: float, max_s: float) -> None:
    """Reject media that is too short to hold anything or longer than the platform accepts.

    A file whose header states no duration passes here: decoding measures it (:func:`measured`).
    """
    if not info.duration_known:
        return
    if info.duration_s > max_s:
        raise MediaTooLong(path, f"{info.duration_s:.0f} s is over the {max_s:.0f} s limit")
    if info.duration_s < min_s:
        raise MediaTooShort(path, f"{info.duration_s:.3f} s is shorter than the {min_s} s minimum")


def measured(path: Path, info: MediaInfo, decoded_s: float, min_s: float, max_s: float) -> MediaInfo:
    """``info`` with the decoded duration when its header stated none, checked against the limits."""
    if info.duration_known:
        return info
    info = info.with_duration(decoded_s)
    check_duration(path, info, min_s, max_s)
    return info
