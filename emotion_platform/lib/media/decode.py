"""Decoding with ffmpeg: audio to 16 kHz mono float32 WAV, video to sampled JPEG frames.

What decodes is bounded whatever the file's header claims: ffmpeg stops writing just past the
duration limit (a file whose header understates its length is refused as too long, not decoded for
hours), and a video decoder refuses frames over the pixel limit
(:attr:`~emotion_platform.lib.media.limits.MediaLimits.max_frame_pixels`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from emotion_platform.lib import atomic
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.errors import CorruptMedia, MediaOverLimits, MediaTooLong
from emotion_platform.lib.media import ffmpeg
from emotion_platform.lib.media.limits import DEFAULT_LIMITS, MediaLimits

# A decode that yields less than this share of the declared duration means the file was cut short.
TRUNCATION_TOLERANCE = 0.9
TRUNCATION_MIN_GAP_S = 0.5
# Decoding stops this far past the duration limit; more than OVERRUN_S past it is refused as too long.
CAP_MARGIN_S = 1.0
OVERRUN_S = 0.5
# ffmpeg downmixes layouts it knows (up to 8 channels); more channels are averaged.
KNOWN_LAYOUT_CHANNELS = 8


@dataclass(frozen=True)
class AudioSummary:
    path: str
    duration_s: float
    samples: int
    rms_dbfs: float
    peak: float
    non_finite: int = 0  # samples that are NaN or infinite (a float WAV can hold them)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FramesSummary:
    directory: str
    count: int
    fps: float
    width: int
    height: int

    def to_dict(self) -> dict:
        return asdict(self)


def _timeout_for(duration_s: float) -> float:
    return 120.0 + 2.0 * duration_s


def _mixdown(channels: int | None) -> list[str]:
    if channels is not None and channels > KNOWN_LAYOUT_CHANNELS:
        return ["-af", "pan=mono|c0<" + "+".join(f"c{i}" for i in range(channels))]
    return ["-ac", "1"]


def _cap(max_duration_s: float | None) -> list[str]:
    return [] if max_duration_s is None else ["-t", f"{max_duration_s + CAP_MARGIN_S:.3f}"]


def _too_long(source: Path, what: str, declared_s: float, max_duration_s: float) -> MediaTooLong:
    claim = f"its header declares {declared_s:.0f} s" if declared_s else "its header does not say how long it is"
    return MediaTooLong(source, f"{what} decodes to more than the {max_duration_s:.0f} s limit, although {claim}")


def decode_audio(
    source: Path,
    dest: Path,
    declared_duration_s: float,
    max_duration_s: float | None = None,
    channels: int | None = None,
    max_streams: int = DEFAULT_LIMITS.max_streams,
) -> AudioSummary:
    """Decode the first audio stream of ``source`` into ``dest`` (16 kHz mono float32 WAV), atomically.

    Raises :class:`CorruptMedia` when ffmpeg fails, when far less audio decodes than the container
    declares (a truncated upload), or when samples are NaN or infinite (float WAVs can hold them);
    :class:`MediaTooLong` when more than ``max_duration_s`` decodes (decoding stops just past it).
    ``channels`` (from the probe) picks the downmix: averaged when ffmpeg knows no layout for them.
    """
    with atomic.atomic_path(dest, stage="media") as tmp:
        result = ffmpeg.run(
            [
                *ffmpeg.decoder_args(source, max_streams=max_streams),
                "-map",
                "0:a:0",
                "-vn",
                *_mixdown(channels),
                "-ar",
                str(SAMPLE_RATE),
                *_cap(max_duration_s),
                "-c:a",
                "pcm_f32le",
                "-f",
                "wav",
                str(tmp),
            ],
            timeout=_timeout_for(declared_duration_s or max_duration_s or 0.0),
            source=source,
        )
        ffmpeg.check_disk(result, dest)
        if result.returncode != 0 or not tmp.exists():
            raise CorruptMedia(source, f"audio does not decode: {ffmpeg.last_error_line(result.stderr, source)}")
        summary = summarize_audio(tmp)
        if summary.samples == 0:
            raise CorruptMedia(source, "the audio stream decodes to no samples")
        if summary.non_finite:
            raise CorruptMedia(
                source,
                f"{summary.non_finite} of {summary.samples} audio samples are not finite "
                "numbers (NaN or infinity): the recording is damaged",
            )
        if max_duration_s is not None and summary.duration_s > max_duration_s + OVERRUN_S:
            raise _too_long(source, "its audio", declared_duration_s, max_duration_s)
        gap = declared_duration_s - summary.duration_s
        if summary.duration_s < TRUNCATION_TOLERANCE * declared_duration_s and gap > TRUNCATION_MIN_GAP_S:
            raise CorruptMedia(
                source,
                f"truncated: only {summary.duration_s:.2f} s of the declared {declared_duration_s:.2f} s decode",
            )
    return AudioSummary(str(dest), summary.duration_s, summary.samples, summary.rms_dbfs, summary.peak)


def summarize_audio(path: Path, block: int = SAMPLE_RATE * 60) -> AudioSummary:
    """Duration, loudness and peak of a decoded WAV, read in blocks (constant memory)."""
    total = non_finite = 0
    energy = 0.0
    peak = 0.0
    with sf.SoundFile(str(path)) as wav:
        for chunk in wav.blocks(blocksize=block, dtype="float32"):
            total += len(chunk)
            finite = np.isfinite(chunk)
            if not finite.all():
                non_finite += int((~finite).sum())
                chunk = chunk[finite]
            energy += float(np.dot(chunk, chunk))
            if len(chunk):
                peak = max(peak, float(np.max(np.abs(chunk))))
        rate = wav.samplerate
    rms = math.sqrt(energy / total) if total else 0.0
    rms_dbfs = 20 * math.log10(rms) if rms > 0 else -120.0
    return AudioSummary(str(path), round(total / rate, 3), total, round(rms_dbfs, 2), round(peak, 4), non_finite)


def load_audio(path: Path) -> np.ndarray:
    """A decoded WAV as a float32 array at 16 kHz."""
    audio, rate = sf.read(str(path), dtype="float32", always_2d=False)
    if rate != SAMPLE_RATE:
        raise ValueError(f"{path} is {rate} Hz; decode_audio writes {SAMPLE_RATE} Hz")
    return audio


def extract_frames(
    source: Path,
    dest_dir: Path,
    fps: float,
    max_side: int,
    duration_s: float,
    max_duration_s: float | None = None,
    max_pixels: int = DEFAULT_LIMITS.max_frame_pixels,
    max_streams: int = DEFAULT_LIMITS.max_streams,
) -> FramesSummary:
    """Sample ``fps`` frames per second from the first video stream into ``dest_dir`` as JPEGs.

    The folder appears whole (with ``index.json`` giving each frame's timestamp) or not at all. The
    decoder refuses frames over ``max_pixels`` (a stream may grow mid-way), and sampling stops just
    past ``max_duration_s`` (:class:`MediaTooLong` when the video goes on).
    """
    scale = f"scale='if(gte(iw,ih),min({max_side},iw),-2)':'if(gte(iw,ih),-2,min({max_side},ih))'"
    with atomic.atomic_dir(dest_dir) as tmp:
        result = ffmpeg.run(
            [
                *ffmpeg.decoder_args(source, "-max_pixels", str(max_pixels), max_streams=max_streams),
                "-map",
                "0:v:0",
                "-an",
                "-vf",
                f"fps={fps},{scale}",
                *_cap(max_duration_s),
                "-q:v",
                "3",
                str(tmp / "frame_%06d.jpg"),
            ],
            timeout=_timeout_for(duration_s or max_duration_s or 0.0),
            source=source,
        )
        frames = sorted(tmp.glob("frame_*.jpg"))
        oversized = re.search(rb"Picture size (\d+x\d+) exceeds specified max pixel count", result.stderr)
        if oversized:
            raise MediaOverLimits(
                source,
                f"its video grows to {oversized.group(1).decode()} frames, over the "
                f"{max_pixels / 1e6:.1f}-megapixel limit",
            )
        ffmpeg.check_disk(result, dest_dir)
        if result.returncode != 0 or not frames:
            raise CorruptMedia(source, f"video frames do not decode: {ffmpeg.last_error_line(result.stderr, source)}")
        if max_duration_s is not None and len(frames) > (max_duration_s + OVERRUN_S) * fps + 1:
            raise _too_long(source, "its video", duration_s, max_duration_s)
        expected = int(duration_s * fps)
        if len(frames) < TRUNCATION_TOLERANCE * expected - 1:
            raise CorruptMedia(
                source,
                f"truncated: {len(frames)} frames decode where {duration_s:.2f} s at {fps} fps "
                f"should give about {expected}",
            )
        from PIL import Image

        with Image.open(frames[0]) as first:
            width, height = first.size
        index = [{"file": f.name, "t": round(i / fps, 3)} for i, f in enumerate(frames)]
        (tmp / "index.json").write_text(json.dumps({"fps": fps, "frames": index}, indent=1))
    return FramesSummary(str(dest_dir), len(frames), fps, width, height)


def sample_frames(
    source: Path, dest_dir: Path, duration_s: float, limits: MediaLimits, capped: bool = True
) -> FramesSummary:
    """:func:`extract_frames` at the rate, size and pixel and stream limits of ``limits`` (sampling stops
    past ``limits.max_duration_s`` when ``capped``)."""
    return extract_frames(
        source,
        dest_dir,
        limits.frame_rate,
        limits.frame_max_side,
        duration_s,
        limits.max_duration_s if capped else None,
        max_pixels=limits.max_frame_pixels,
        max_streams=limits.max_streams,
    )
