"""What a media file contains, according to ffprobe (by content, never by file name)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from emotion_platform.lib.errors import CorruptMedia, MediaOverLimits, MediaTooShort, NoMediaStreams, UnsupportedMedia
from emotion_platform.lib.media import ffmpeg
from emotion_platform.lib.media.limits import DEFAULT_LIMITS, MediaLimits, check_audio_format

IMAGE_FORMATS = {"image2", "gif", "webp_pipe", "apng"}
IMAGE_CODECS = {"png", "bmp", "tiff", "webp", "gif", "jpegls", "pam", "ppm", "pgm"}


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class VideoStream:
    codec: str
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class MediaInfo:
    """The facts about one media file that later stages and people care about."""

    format_name: str
    duration_s: float
    size_bytes: int
    bit_rate: int | None
    audio: AudioStream | None
    video: VideoStream | None
    # False when neither the container nor a stream states a duration (a FLAC or WAV written to a pipe):
    # ``duration_s`` is then 0 until decoding measures it.
    duration_known: bool = True

    def with_duration(self, duration_s: float) -> MediaInfo:
        """This info with the duration decoding measured."""
        return replace(self, duration_s=round(duration_s, 3), duration_known=True)

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def kind(self) -> str:
        return "video" if self.video else "audio"

    def to_dict(self) -> dict:
        return asdict(self) | {"has_audio": self.has_audio, "has_video": self.has_video, "kind": self.kind}


def _fraction(text: str | None) -> float:
    if not text or "/" not in text:
        return float(text or 0.0)
    num, den = text.split("/", 1)
    return float(num) / float(den) if float(den) else 0.0


def _is_still_image(format_name: str, stream: dict) -> bool:
    return (
        format_name.endswith("_pipe")
        or format_name in IMAGE_FORMATS
        or stream.get("codec_name") in IMAGE_CODECS
        or bool(stream.get("disposition", {}).get("still_image"))
    )


def probe(path: Path, timeout: float = 60.0, max_streams: int = DEFAULT_LIMITS.max_streams) -> MediaInfo:
    """Read the container and streams of ``path``; raise :class:`UnsupportedMedia` when it is not media
    (:class:`MediaOverLimits` when it holds more than ``max_streams`` streams)."""
    result = ffmpeg.run(
        [
            ffmpeg.tool("ffprobe"),
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            *ffmpeg.input_args(path, max_streams=max_streams),
        ],
        timeout=timeout,
        source=path,
    )
    if result.returncode != 0:
        _refuse(path, result.stderr.decode("utf-8", "replace"), max_streams)
    data = json.loads(result.stdout or b"{}")
    fmt = data.get("format", {})
    format_name = fmt.get("format_name", "")
    streams = data.get("streams", [])
    audio_streams = [s for s in streams if s.get("codec_type") == "audio"]
    video_streams = [
        s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    if video_streams and not audio_streams and all(_is_still_image(format_name, s) for s in video_streams):
        raise UnsupportedMedia(path, f"it is a still image ({format_name}), not audio or video")
    if not audio_streams and not video_streams:
        kinds = sorted({s.get("codec_type", "unknown") for s in streams}) or ["none"]
        raise NoMediaStreams(path, f"no audio or video stream (streams found: {', '.join(kinds)})")
    audio = None
    if audio_streams:
        a = audio_streams[0]
        audio = AudioStream(a.get("codec_name", "unknown"), int(a.get("sample_rate", 0)), int(a.get("channels", 0)))
    video = None
    if video_streams:
        v = video_streams[0]
        video = VideoStream(
            v.get("codec_name", "unknown"),
            int(v.get("width", 0)),
            int(v.get("height", 0)),
            round(_fraction(v.get("avg_frame_rate") or v.get("r_frame_rate")), 3),
        )
    durations = [float(fmt.get("duration") or 0.0)] + [float(s.get("duration") or 0.0) for s in streams]
    known = "duration" in fmt or any("duration" in s for s in streams)
    return MediaInfo(
        format_name=format_name,
        duration_s=round(max(durations), 3),
        size_bytes=int(fmt.get("size") or path.stat().st_size),
        bit_rate=int(fmt["bit_rate"]) if fmt.get("bit_rate") else None,
        audio=audio,
        video=video,
        duration_known=known,
    )


def _refuse(path: Path, stderr: str, max_streams: int) -> None:
    """Raise the rejection for a file ffprobe could not open."""
    if ffmpeg.NOT_ON_WHITELIST in stderr:
        found = re.search(r"\[(\w+) @ [^\]]*\] " + ffmpeg.NOT_ON_WHITELIST, stderr)
        kind = found.group(1) if found else "a format that refers to other files"
        raise UnsupportedMedia(
            path, f"it is a playlist or list of other files ({kind}), not media itself; upload the audio or video file"
        )
    if ffmpeg.TOO_MANY_STREAMS in stderr:
        raise MediaOverLimits(path, f"it holds more than {max_streams} streams, the most the platform reads")
    raise UnsupportedMedia(path, f"ffprobe cannot read it: {ffmpeg.last_error_line(stderr.encode(), path)}")


def check_wav_header(path: Path, limits: MediaLimits = DEFAULT_LIMITS) -> None:
    """For a RIFF/WAVE file, what its header declares: plausible channels and sample rate, and all the audio.

    ffprobe derives a WAV's duration from the bytes present, so a cut-off upload looks like a shorter,
    valid file; the ``data`` chunk size tells the truth. A header declaring 0 channels, 1 Hz or 4 GHz is
    refused with what it declares (ffprobe would only say "Invalid data"). Other files pass unread.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk = handle.read(8)
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:8], "little")
            if chunk_id == b"fmt " and chunk_size >= 16:
                channels, rate = int.from_bytes(handle.read(4)[2:], "little"), int.from_bytes(handle.read(4), "little")
                check_audio_format(path, rate, channels, limits, source="the WAV header")
            if chunk_id == b"data":
                present = size - offset - 8
                # 0 and 0xFFFFFFFF mark streamed WAVs whose writer could not seek back to fill the size.
                if chunk_size not in (0, 0xFFFFFFFF) and present < chunk_size:
                    raise CorruptMedia(
                        path,
                        f"truncated: the WAV header declares {chunk_size} bytes of audio, only {present} are present",
                    )
                if present == 0:
                    raise MediaTooShort(path, "the WAV file holds no audio samples")
                return
            if offset + 8 + chunk_size > size:
                raise CorruptMedia(
                    path,
                    f"the WAV header's {chunk_id.decode('latin-1')!r} chunk declares "
                    f"{chunk_size} bytes, past the end of the {size}-byte file, before any audio",
                )
            offset += 8 + chunk_size + (chunk_size & 1)
