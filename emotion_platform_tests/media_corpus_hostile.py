"""The hostile half of the bad-input corpus: headers that lie, decompression bombs, huge frames, crowded
containers, playlists that point elsewhere, and names no person would type.

Each builder writes small files (the largest is about 1 MB) and returns nothing; the expected outcome of
each file is given where it is added (``add(name, stage, expected)``, see :mod:`media_corpus`).
"""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.media.ffmpeg import tool

Add = Callable[..., Path]

# A name of exactly 255 bytes (the file system's limit) in multibyte UTF-8: 83 three-byte characters.
LONG_NAME = "会議録音" * 20 + "会議録" + "_1.wav"
CONTROL_NAMES = ("line\nbreak.wav", "tab\tin name.wav", "\x1b[31mred alert\x1b[0m.wav")


def ffmpeg(*args: str) -> None:
    subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-y", *args], check=True)


def wav_bytes(
    pcm: bytes,
    rate: int = SAMPLE_RATE,
    channels: int = 1,
    bits: int = 16,
    riff_size: int | None = None,
    data_size: int | None = None,
    before_data: bytes = b"",
) -> bytes:
    """A PCM WAV whose header says whatever it is told to (sizes, rate, channels)."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * align) & 0xFFFFFFFF, align & 0xFFFF, bits)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + before_data
        + b"data"
        + struct.pack("<I", len(pcm) if data_size is None else data_size)
        + pcm
    )
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def add_lying_wav_headers(add: Add, speech_pcm: bytes) -> None:
    """WAV headers claiming absurd rates, channel counts and sizes."""
    add("sample_rate_1hz.wav", "decode", "corrupt").write_bytes(wav_bytes(speech_pcm[:4000], rate=1))
    add("sample_rate_4ghz.wav", "decode", "over_limits").write_bytes(wav_bytes(speech_pcm, rate=0xFFFFFFFF))
    add("no_channels.wav", "decode", "corrupt").write_bytes(wav_bytes(speech_pcm, channels=0))
    add("channels_65535.wav", "decode", "over_limits").write_bytes(wav_bytes(speech_pcm, channels=65535))
    # 32 channels of 8 kHz: ffmpeg knows no layout to mix them down with, so the platform averages them.
    silence = np.zeros(32 * 8000 * 2, dtype="<i2").tobytes()
    add("field_recorder_32ch.wav", "transcript", "no_speech").write_bytes(wav_bytes(silence, rate=8000, channels=32))
    # Sizes of 0xFFFFFFFF are what a writer that cannot seek back leaves: the audio is all there.
    add("streamed_sizes.wav", "transcript", "ok").write_bytes(
        wav_bytes(speech_pcm, riff_size=0xFFFFFFFF, data_size=0xFFFFFFFF)
    )
    add("inflated_sizes.wav", "decode", "corrupt").write_bytes(
        wav_bytes(speech_pcm, riff_size=0x7FFFFFF0, data_size=0x7FFFFFE0)
    )
    runaway = b"LIST" + struct.pack("<I", 0xFFFFFF00) + b"INFO"
    add("runaway_chunk.wav", "decode", "corrupt").write_bytes(wav_bytes(speech_pcm, before_data=runaway))
    add("one_sample.wav", "decode", "too_short").write_bytes(wav_bytes(speech_pcm[:2]))


def add_bombs(add: Add, dest: Path, speech_wav: Path) -> None:
    """Small files that decode to far more than their size, or longer than their header says."""
    # 30 s of 8 channels at 384 kHz: 16 KB of FLAC, 370 MB as float samples; decoded to 16 kHz mono
    # in a stream (ffmpeg holds a few frames), so it completes in bounded memory.
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=384000:cl=7.1",
        "-t",
        "30",
        "-c:a",
        "flac",
        str(add("flac_bomb_8ch_384khz.flac", "transcript", "no_speech")),
    )
    # An MP3 without a Xing header: ffprobe estimates 32 s from the first frames' bit rate; 10 min decode.
    loud, quiet = (dest / ".loud.mp3", dest / ".quiet.mp3")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=f=300:r={SAMPLE_RATE}",
        "-t",
        "2",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "160k",
        "-write_xing",
        "0",
        "-id3v2_version",
        "0",
        str(loud),
    )
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"anullsrc=r={SAMPLE_RATE}:cl=mono",
        "-t",
        "600",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "8k",
        "-write_xing",
        "0",
        "-id3v2_version",
        "0",
        str(quiet),
    )
    add("understated_length.mp3", "decode", "too_long").write_bytes(loud.read_bytes() + quiet.read_bytes())
    loud.unlink()
    quiet.unlink()
    # FLAC written to a pipe has no length in its header: ffprobe says nothing, decoding measures it.
    flac = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(speech_wav), "-c:a", "flac", "-f", "flac", "-"],
        check=True,
        capture_output=True,
    ).stdout
    add("streamed_unknown_length.flac", "transcript", "ok").write_bytes(flac)


def add_video_and_containers(add: Add, dest: Path, speech_wav: Path) -> None:
    """Frames too large to decode, containers with too many streams."""
    big, small = _jpeg((8000, 8000)), _jpeg((320, 240))
    mjpeg = dest / ".frames.mjpeg"
    mjpeg.write_bytes(big)
    ffmpeg(
        "-f",
        "mjpeg",
        "-framerate",
        "1",
        "-i",
        str(mjpeg),
        "-c:v",
        "copy",
        str(add("huge_frame_8000x8000.mkv", "decode", "over_limits")),
    )
    # Two 320x240 frames, then an 8000x8000 one: the container (and ffprobe) state the first size.
    mjpeg.write_bytes(small + small + big)
    ffmpeg(
        "-f",
        "mjpeg",
        "-framerate",
        "1",
        "-i",
        str(mjpeg),
        "-c:v",
        "copy",
        str(add("growing_frames.mkv", "decode", "over_limits")),
    )
    mjpeg.unlink()
    # Speech in the first of 64 audio streams (the most the platform reads; it transcribes the first).
    many = ["-i", str(speech_wav), "-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=mono", "-map", "0:a"]
    ffmpeg(
        *many, *["-map", "1:a"] * 63, "-t", "7", "-c:a", "flac", str(add("64_audio_streams.mkv", "transcript", "ok"))
    )
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=48000:cl=mono",
        *["-map", "0:a"] * 100,
        "-t",
        "0.5",
        "-c:a",
        "libopus",
        "-b:a",
        "6k",
        str(add("100_audio_streams.mkv", "decode", "over_limits")),
    )


def _jpeg(size: tuple[int, int]) -> bytes:
    """One grey JPEG frame (an 8000x8000 one is 0.7 MB)."""
    out = io.BytesIO()
    Image.new("L", size, 128).save(out, format="JPEG", quality=1)
    return out.getvalue()


def add_not_quite_media(add: Add, dest: Path, speech_wav: Path) -> None:
    """Archives, an MP4 without its index, a playlist pointing at another file, 8-bit mu-law."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(speech_wav, "speech.wav")
    add("archive.zip", "decode", "not_media").write_bytes(packed.getvalue())
    mp4 = dest / ".speech.mp4"
    ffmpeg("-i", str(speech_wav), "-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart", str(mp4))
    data = mp4.read_bytes()
    mp4.unlink()
    at = data.index(b"moov") - 4
    end = at + int.from_bytes(data[at : at + 4], "big")
    add("no_moov.mp4", "decode", "not_media").write_bytes(data[:at] + data[end:])
    # An HLS playlist naming a file elsewhere on the machine: ffmpeg would open and decode that file.
    segment = dest / ".segment.ts"
    ffmpeg("-i", str(speech_wav), "-c:a", "aac", "-b:a", "32k", "-f", "mpegts", str(segment))
    add("playlist.m3u8", "decode", "not_media").write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:7.1,\n{segment.resolve()}\n#EXT-X-ENDLIST\n"
    )
    ffmpeg("-i", str(speech_wav), "-c:a", "pcm_mulaw", str(add("mulaw_8bit.wav", "transcript", "ok")))


def add_awkward_names(add: Add, silence: Path) -> None:
    """Control characters and a 255-byte name (silences of different lengths, so each is its own file),
    and the same bytes as ``silence`` under a second name (one partition, not two)."""
    samples = silence.read_bytes()
    for extra, name in enumerate((*CONTROL_NAMES, LONG_NAME), start=1):
        ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"anullsrc=r={SAMPLE_RATE}:cl=mono",
            "-t",
            str(1 + extra / 10),
            "-c:a",
            "pcm_s16le",
            str(add(name, "transcript", "no_speech")),
        )
    add("silence_again.wav", "transcript", "no_speech", same_as=silence.name).write_bytes(samples)
