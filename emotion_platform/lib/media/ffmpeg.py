"""Locating and running the ffmpeg/ffprobe programs."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from emotion_platform.lib.errors import ToolMissing


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


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run an ffmpeg-family command, never reading stdin, capturing both streams."""
    return subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False)


def last_error_line(stderr: bytes) -> str:
    """The most telling line of ffmpeg's stderr, for a rejection reason."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return "no error output"
    # ffmpeg prefixes with "[demuxer @ 0x...]" or "<path>: "; keep the message, most specific first.
    messages = [line.split("] ", 1)[-1].rsplit(": ", 1)[-1] for line in lines[-2:]]
    return "; ".join(dict.fromkeys(messages))[:300]
