"""The decoding limits: lying WAV headers, bombs, lengths a header understates, playlists, channels, time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.errors import CorruptMedia, MediaOverLimits, MediaTooLong, MediaTooShort, UnsupportedMedia
from emotion_platform.lib.media import decode, ffmpeg
from emotion_platform.lib.media.limits import MediaLimits, check_audio_format, check_frame_size
from emotion_platform.lib.media.probe import check_wav_header, probe
from emotion_platform_tests.media_corpus_hostile import ffmpeg as run_ffmpeg
from emotion_platform_tests.media_corpus_hostile import wav_bytes

PCM = np.zeros(SAMPLE_RATE, dtype="<i2").tobytes()
RUNAWAY = b"LIST" + (0xFFFFFF00).to_bytes(4, "little") + b"INFO"


@pytest.mark.parametrize(
    ("header", "error", "words"),
    [
        ({"rate": 1}, CorruptMedia, "sample rate of 1 Hz"),
        ({"rate": 0}, CorruptMedia, "sample rate of 0 Hz"),
        ({"rate": 0xFFFFFFFF}, MediaOverLimits, "4294967295 Hz, over the 768000 Hz"),
        ({"channels": 0}, CorruptMedia, "declares 0 channels"),
        ({"channels": 65535}, MediaOverLimits, "65535 channels, over the 64"),
        ({"data_size": 0x7FFFFFE0}, CorruptMedia, "truncated"),
        ({"before_data": RUNAWAY}, CorruptMedia, "'LIST' chunk declares 4294967040 bytes, past the end"),
    ],
)
def test_a_wav_header_is_refused_for_what_it_declares(tmp_path: Path, header, error, words) -> None:
    path = tmp_path / "lying.wav"
    path.write_bytes(wav_bytes(PCM, **header))
    with pytest.raises(error, match=words):
        check_wav_header(path)


def test_a_wav_header_with_streamed_sizes_passes_and_one_without_samples_is_too_short(tmp_path: Path) -> None:
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(wav_bytes(PCM, riff_size=0xFFFFFFFF, data_size=0xFFFFFFFF))
    check_wav_header(streamed)
    empty = tmp_path / "no_samples.wav"
    empty.write_bytes(wav_bytes(b"", data_size=0))
    with pytest.raises(MediaTooShort, match="no audio samples"):
        check_wav_header(empty)


def test_frames_over_the_pixel_limit_are_refused(tmp_path: Path) -> None:
    check_frame_size(tmp_path, 7680, 4320)  # 8K UHD fits
    with pytest.raises(MediaOverLimits, match="8000x8000"):
        check_frame_size(tmp_path, 8000, 8000)
    assert MediaLimits().max_frame_pixels == 8192 * 4320


def test_the_format_checks_take_the_limits_they_are_given(tmp_path: Path) -> None:
    small = MediaLimits(max_frame_pixels=640 * 480, max_sample_rate=48_000, max_channels=2)
    check_frame_size(tmp_path, 640, 480, small)
    with pytest.raises(MediaOverLimits, match=r"over the 0\.3-megapixel limit"):
        check_frame_size(tmp_path, 1280, 720, small)
    check_audio_format(tmp_path, 96_000, 6)  # within the defaults
    with pytest.raises(MediaOverLimits, match="over the 48000 Hz the platform decodes"):
        check_audio_format(tmp_path, 96_000, 2, small)
    with pytest.raises(MediaOverLimits, match="6 channels, over the 2 the platform mixes down"):
        check_audio_format(tmp_path, SAMPLE_RATE, 6, small)


def test_a_decompression_bomb_decodes_to_16k_mono_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.flac"
    run_ffmpeg("-f", "lavfi", "-i", "anullsrc=r=384000:cl=7.1", "-t", "30", "-c:a", "flac", str(bomb))
    raw_bytes = 30 * 384000 * 8 * 4
    assert bomb.stat().st_size * 10_000 < raw_bytes
    # A fresh interpreter, so the peak memory of its children is the decoder's alone.
    script = (
        "import resource, sys; from pathlib import Path; from emotion_platform.lib.media.decode import "
        "decode_audio; s = decode_audio(Path(sys.argv[1]), Path(sys.argv[2]), 30.0, 120.0, 8); "
        "print(s.samples, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bomb), str(tmp_path / "out.wav")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    samples, peak_kib = map(int, done.stdout.split())
    assert samples == 30 * SAMPLE_RATE
    assert peak_kib * 1024 < min(256 * 1024**2, raw_bytes / 4)


def test_audio_longer_than_its_header_says_stops_decoding_at_the_limit(tmp_path: Path) -> None:
    parts = []
    for source, seconds, rate in (
        (f"sine=f=300:r={SAMPLE_RATE}", 2, "160k"),
        (f"anullsrc=r={SAMPLE_RATE}:cl=mono", 200, "8k"),
    ):
        parts.append(tmp_path / f"{rate}.mp3")
        run_ffmpeg(
            "-f",
            "lavfi",
            "-i",
            source,
            "-t",
            str(seconds),
            "-c:a",
            "libmp3lame",
            "-b:a",
            rate,
            "-write_xing",
            "0",
            "-id3v2_version",
            "0",
            str(parts[-1]),
        )
    liar = tmp_path / "liar.mp3"
    liar.write_bytes(b"".join(p.read_bytes() for p in parts))
    declared = probe(liar).duration_s
    assert declared < 60
    with pytest.raises(MediaTooLong, match=f"although its header declares {declared:.0f} s"):
        decode.decode_audio(liar, tmp_path / "out.wav", declared, max_duration_s=60.0)
    assert not (tmp_path / "out.wav").exists()


def test_a_flac_without_a_length_is_measured_by_decoding(librivox, tmp_path: Path) -> None:
    flac = subprocess.run(
        [ffmpeg.tool("ffmpeg"), "-v", "error", "-i", str(librivox[0].path), "-c:a", "flac", "-f", "flac", "-"],
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "streamed.flac").write_bytes(flac)
    info = probe(tmp_path / "streamed.flac")
    assert not info.duration_known and info.duration_s == 0
    summary = decode.decode_audio(tmp_path / "streamed.flac", tmp_path / "out.wav", 0.0, max_duration_s=60.0)
    assert info.with_duration(summary.duration_s).duration_s == pytest.approx(7.1, abs=0.05)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1.0,\n{target}\n#EXT-X-ENDLIST\n", "hls"),
        ("list.ffconcat", "ffconcat version 1.0\nfile target.wav\n", "concat"),
    ],
)
def test_playlists_are_not_followed_to_other_files(tmp_path: Path, name, text, kind) -> None:
    target = tmp_path / "target.wav"
    sf.write(target, np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    playlist = tmp_path / name
    playlist.write_text(text.format(target=target))
    with pytest.raises(UnsupportedMedia, match=rf"playlist or list of other files \({kind}\)"):
        probe(playlist)


def test_more_channels_than_ffmpeg_has_a_layout_for_are_averaged(tmp_path: Path) -> None:
    audio = np.zeros((SAMPLE_RATE, 12), dtype=np.float32)
    audio[:, 3] = 0.6 * np.sin(np.linspace(0, 2000, SAMPLE_RATE))
    sf.write(tmp_path / "twelve.wav", audio, SAMPLE_RATE, subtype="FLOAT")
    summary = decode.decode_audio(tmp_path / "twelve.wav", tmp_path / "out.wav", 1.0, channels=12)
    assert summary.peak == pytest.approx(0.6 / 12, rel=0.05)


def test_a_decode_that_runs_too_long_is_refused_and_leaves_nothing(samples, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(decode, "_timeout_for", lambda duration_s: 0.001)
    with pytest.raises(MediaOverLimits, match="did not finish reading it within 0 s"):
        decode.decode_audio(samples["conversation.wav"], tmp_path / "out.wav", 30.0)
    assert list(tmp_path.iterdir()) == []


def test_the_error_line_keeps_the_message_and_drops_the_noise() -> None:
    stderr = (
        b"[pcm_s16le @ 0x55b] Too many channels: 65535\n    Last message repeated 1 times\n"
        b"/tmp/x.wav: Invalid data found when processing input\n"
    )
    assert (
        ffmpeg.last_error_line(stderr, Path("/tmp/x.wav"))
        == "Too many channels: 65535; Invalid data found when processing input"
    )


def test_the_stream_limit_is_the_one_given(samples) -> None:
    assert MediaLimits().max_streams == 64
    video = samples["music_animation.mp4"]  # one video and one audio stream
    assert probe(video).has_audio
    with pytest.raises(MediaOverLimits, match="more than 1 streams, the most the platform reads"):
        probe(video, max_streams=1)
