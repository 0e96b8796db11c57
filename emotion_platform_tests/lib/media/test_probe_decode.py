from pathlib import Path

import numpy as np
import pytest

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.errors import CorruptMedia, NoMediaStreams, UnsupportedMedia
from emotion_platform.lib.media import decode
from emotion_platform.lib.media.probe import check_wav_header, probe


def test_probe_speech_wav(librivox) -> None:
    info = probe(librivox[0].path)
    assert info.has_audio and not info.has_video
    assert info.audio.sample_rate == 16000 and info.audio.channels == 1
    assert info.duration_s == pytest.approx(7.1, abs=0.05)


def test_probe_video_without_audio(samples) -> None:
    info = probe(samples["talking_head.mp4"])
    assert info.has_video and not info.has_audio
    assert (info.video.width, info.video.height) == (176, 144)


def test_probe_rejects_text_and_images(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n" * 50)
    with pytest.raises(UnsupportedMedia, match="ffprobe cannot read it"):
        probe(text)
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n")
    with pytest.raises(NoMediaStreams, match="subtitle"):
        probe(srt)


def test_decode_audio_resamples_to_16k_mono(samples, tmp_path: Path) -> None:
    source = samples["conversation.wav"]
    info = probe(source)
    summary = decode.decode_audio(source, tmp_path / "out.wav", info.duration_s)
    audio = decode.load_audio(tmp_path / "out.wav")
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert summary.duration_s == pytest.approx(info.duration_s, abs=0.05)
    assert -60 < summary.rms_dbfs < 0


def test_decode_downmixes_surround_video_audio(samples, tmp_path: Path) -> None:
    source = samples["music_animation.mp4"]
    info = probe(source)
    assert info.audio.channels == 6
    summary = decode.decode_audio(source, tmp_path / "music.wav", info.duration_s)
    assert summary.samples == pytest.approx(info.duration_s * SAMPLE_RATE, rel=0.02)


def test_truncated_wav_is_detected_from_its_header(librivox, tmp_path: Path) -> None:
    data = librivox[0].path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptMedia, match="truncated"):
        check_wav_header(cut)
    check_wav_header(librivox[0].path)


def test_extract_frames_writes_index_atomically(samples, tmp_path: Path) -> None:
    dest = tmp_path / "frames"
    summary = decode.extract_frames(samples["talking_head.mp4"], dest, fps=2.0, max_side=640, duration_s=4.0)
    assert summary.count == 8 and (summary.width, summary.height) == (176, 144)
    assert (dest / "index.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folder left behind"


def test_failed_decode_leaves_no_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"\xff\xfb" + bytes(1000))
    with pytest.raises(CorruptMedia):
        decode.decode_audio(bad, tmp_path / "out.wav", declared_duration_s=10.0)
    assert list(tmp_path.iterdir()) == [bad]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_float_samples_are_refused_and_leave_no_file(tmp_path: Path, bad: float) -> None:
    import soundfile as sf

    audio = (0.1 * np.sin(np.linspace(0, 2000, 32000))).astype(np.float32)
    audio[1000:1100] = bad
    source = tmp_path / "damaged.wav"
    sf.write(source, audio, SAMPLE_RATE, subtype="FLOAT")
    dest = tmp_path / "out" / "audio.wav"
    with pytest.raises(CorruptMedia, match="not finite numbers"):
        decode.decode_audio(source, dest, 2.0)
    assert not dest.exists()
