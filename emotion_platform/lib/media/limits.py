"""What the platform decodes, stated: audio and video beyond these limits is refused with a sentence.

The limits bound what one file can cost however small it is: audio is decoded to 16 kHz mono and
frames are scaled down, but the decoder first holds the stream as the file describes it.
"""

from __future__ import annotations

from pathlib import Path

from emotion_platform.lib.errors import CorruptMedia, MediaOverLimits

MIN_SAMPLE_RATE = 1_000  # no recording is sampled below this; a lower rate is a damaged header
MAX_SAMPLE_RATE = 768_000  # the highest rate audio interfaces record at
MAX_CHANNELS = 64  # mixed down to mono by averaging when ffmpeg knows no layout for them
MAX_FRAME_PIXELS = 8192 * 4320  # DCI 8K (8K UHD, 7680x4320, fits): one decoded frame is at most ~53 MB


def check_audio_format(path: Path, sample_rate: int, channels: int, source: str = "its audio stream") -> None:
    """Refuse a sample rate or channel count that is damaged (0, below 1 kHz) or over the limits."""
    if channels <= 0:
        raise CorruptMedia(path, f"{source} declares {channels} channels: it is damaged")
    if sample_rate < MIN_SAMPLE_RATE:
        raise CorruptMedia(
            path,
            f"{source} declares a sample rate of {sample_rate} Hz; nothing is recorded below "
            f"{MIN_SAMPLE_RATE} Hz: it is damaged",
        )
    if sample_rate > MAX_SAMPLE_RATE:
        raise MediaOverLimits(
            path,
            f"{source} declares a sample rate of {sample_rate} Hz, over the {MAX_SAMPLE_RATE} Hz the platform decodes",
        )
    if channels > MAX_CHANNELS:
        raise MediaOverLimits(
            path, f"{source} declares {channels} channels, over the {MAX_CHANNELS} the platform mixes down"
        )


def check_frame_size(path: Path, width: int, height: int) -> None:
    """Refuse video frames over :data:`MAX_FRAME_PIXELS` (decoding one would take hundreds of MB)."""
    if width * height > MAX_FRAME_PIXELS:
        raise MediaOverLimits(
            path,
            f"its video frames are {width}x{height} ({width * height / 1e6:.1f} megapixels), "
            f"over the {MAX_FRAME_PIXELS / 1e6:.1f}-megapixel limit",
        )
