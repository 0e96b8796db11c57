"""What the platform accepts and decodes as one media file: beyond these limits it is refused with a sentence.

:class:`MediaLimits` holds every limit with its default; a deployment sets them through the platform
settings (the storage resource's fields) and the service's upload settings. The format limits (sample
rate, channels, streams, frame pixels) bound what one file can cost however small it is: audio is
decoded to 16 kHz mono and frames are scaled down, but the decoder first holds the stream as the file
describes it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from emotion_platform.lib.errors import CorruptMedia, MediaOverLimits


class MediaLimits(BaseModel):
    """What the platform accepts as one media file, and what it decodes of it."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = Field(2 * 1024**3, description="Largest accepted file, in bytes.")
    max_duration_s: float = Field(3 * 3600.0, description="Longest accepted media, in seconds.")
    min_duration_s: float = Field(0.1, description="Shortest accepted media, in seconds (shorter holds nothing).")
    frame_rate: float = Field(2.0, description="Video frames sampled per second for the face branch.")
    frame_max_side: int = Field(640, description="Sampled frames are scaled so no side exceeds this, in pixels.")
    min_sample_rate: int = Field(
        1_000, description="No recording is sampled below this (Hz); a lower rate is a damaged header."
    )
    max_sample_rate: int = Field(
        768_000, description="Highest audio sample rate decoded (Hz): what interfaces record at."
    )
    max_channels: int = Field(
        64, description="Most audio channels decoded (mixed down to mono, averaged where ffmpeg knows no layout)."
    )
    max_streams: int = Field(64, description="Most streams a container may hold (each costs ffmpeg memory).")
    max_frame_pixels: int = Field(
        8192 * 4320,
        description="Largest video frame decoded, in pixels: DCI 8K (8K UHD, 7680x4320, fits), one frame ~53 MB.",
    )


DEFAULT_LIMITS = MediaLimits()


def check_audio_format(
    path: Path, sample_rate: int, channels: int, limits: MediaLimits = DEFAULT_LIMITS, source: str = "its audio stream"
) -> None:
    """Refuse a sample rate or channel count that is damaged (0, below 1 kHz) or over the limits."""
    if channels <= 0:
        raise CorruptMedia(path, f"{source} declares {channels} channels: it is damaged")
    if sample_rate < limits.min_sample_rate:
        raise CorruptMedia(
            path,
            f"{source} declares a sample rate of {sample_rate} Hz; nothing is recorded below "
            f"{limits.min_sample_rate} Hz: it is damaged",
        )
    if sample_rate > limits.max_sample_rate:
        raise MediaOverLimits(
            path,
            f"{source} declares a sample rate of {sample_rate} Hz, over the {limits.max_sample_rate} Hz "
            "the platform decodes",
        )
    if channels > limits.max_channels:
        raise MediaOverLimits(
            path, f"{source} declares {channels} channels, over the {limits.max_channels} the platform mixes down"
        )


def check_frame_size(path: Path, width: int, height: int, limits: MediaLimits = DEFAULT_LIMITS) -> None:
    """Refuse video frames over ``limits.max_frame_pixels`` (decoding one would take hundreds of MB)."""
    if width * height > limits.max_frame_pixels:
        raise MediaOverLimits(
            path,
            f"its video frames are {width}x{height} ({width * height / 1e6:.1f} megapixels), "
            f"over the {limits.max_frame_pixels / 1e6:.1f}-megapixel limit",
        )
