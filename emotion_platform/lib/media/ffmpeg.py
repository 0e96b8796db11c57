"""Locating and running the ffmpeg/ffprobe programs, and the input options that keep them on one file.

Every command opens its input through :func:`input_args`: only demuxers that read the file itself are
allowed (a playlist, manifest or concat list would make ffmpeg open other files or addresses named
inside the upload), and a container may hold at most ``max_streams`` streams (each costs memory; the
default is :attr:`~emotion_platform.lib.media.limits.MediaLimits.max_streams`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from emotion_platform.lib.errors import MediaOverLimits, StorageFull, ToolMissing
from emotion_platform.lib.media.limits import DEFAULT_LIMITS

# Demuxers that open files or network addresses named inside the input (HLS and DASH playlists,
# concat lists, IMF compositions, SDP/RTSP sessions, VobSub's .sub beside the .idx, Magic Lantern's
# .M00 parts), or that are devices rather than files.
INDIRECT_DEMUXERS = frozenset(
    {
        "hls",
        "dash",
        "concat",
        "imf",
        "sdp",
        "rtsp",
        "rtp",
        "vobsub",
        "mlv",
        "lavfi",
        "alsa",
        "fbdev",
        "jack",
        "kmsgrab",
        "oss",
        "pulse",
        "video4linux2",
        "v4l2",
        "x11grab",
        "iec61883",
        "libdc1394",
        "openal",
        "libcdio",
    }
)
NOT_ON_WHITELIST = "Format not on whitelist"
TOO_MANY_STREAMS = "exceeds max_streams"


@cache
def tool(name: str) -> str:
    """Absolute path of ``ffmpeg`` or ``ffprobe``; the system's first, else imageio-ffmpeg's binary."""
    found = shutil.which(name)
    if found:
        return found
    if name == "ffmpeg":
        try:
            import imageio_ffmpeg
        except ImportError:
            pass
        else:
            return imageio_ffmpeg.get_ffmpeg_exe()
    raise ToolMissing(f"{name} is not installed: `apt-get install ffmpeg` (make setup does this)")


@cache
def allowed_demuxers() -> str:
    """Every demuxer this ffmpeg has except :data:`INDIRECT_DEMUXERS`, as a ``-format_whitelist`` value."""
    listing = subprocess.run(
        [tool("ffmpeg"), "-hide_banner", "-demuxers"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    ).stdout
    names = []
    for line in listing.split("--", 1)[-1].splitlines():
        parts = line.split()
        if len(parts) >= 2 and "D" in parts[0]:
            names += [n for n in parts[1].split(",") if n not in INDIRECT_DEMUXERS]
    return ",".join(dict.fromkeys(names))


def input_args(path: Path, *options: str, max_streams: int = DEFAULT_LIMITS.max_streams) -> list[str]:
    """Input ``options`` and ``-i`` for reading ``path`` and nothing else (see the module docstring)."""
    return ["-format_whitelist", allowed_demuxers(), "-max_streams", str(max_streams), *options, "-i", str(path)]


def decoder_args(path: Path, *options: str, max_streams: int = DEFAULT_LIMITS.max_streams) -> list[str]:
    """An ffmpeg command line up to its outputs: quiet but for errors, overwriting, reading only ``path``."""
    return [
        tool("ffmpeg"),
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-y",
        *input_args(path, *options, max_streams=max_streams),
    ]


def run(args: list[str], timeout: float, source: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run an ffmpeg-family command, never reading stdin, capturing both streams.

    A command still running after ``timeout`` seconds is killed; with ``source`` that is a
    :class:`MediaOverLimits` for it (a file that takes that long to read is refused, not waited for).
    """
    try:
        return subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        if source is None:
            raise
        name = Path(args[0]).name
        raise MediaOverLimits(source, f"{name} did not finish reading it within {timeout:.0f} s") from None


DISK_FULL = b"No space left on device"


def check_disk(result: subprocess.CompletedProcess[bytes], dest: Path) -> None:
    """Raise :class:`StorageFull` when ffmpeg failed because ``dest``'s disk is full (not the input's fault)."""
    if result.returncode != 0 and DISK_FULL in result.stderr:
        raise StorageFull(dest, "ffmpeg could not write its output")


def last_error_line(stderr: bytes, source: Path | None = None) -> str:
    """The most telling line of ffmpeg's stderr, for a rejection reason."""
    messages = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", line.strip())  # "[demuxer @ 0x...] "
        if source is not None and line.startswith(f"{source}: "):
            line = line[len(str(source)) + 2 :]
        if line and not line.startswith("Last message repeated"):
            messages.append(line)
    if not messages:
        return "no error output"
    return "; ".join(dict.fromkeys(messages[-2:]))[:300]
