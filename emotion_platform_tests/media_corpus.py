"""A corpus of bad and awkward inputs, each built from real media or plain bytes, with its expected outcome.

Every case names the stage that must catch it and the reason code (or transcript status) it must get.
The hostile kinds (lying headers, bombs, huge frames, crowded containers, playlists, odd names) are
built by :mod:`media_corpus_hostile`; what the service answers for each is in ``serving/expectations.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.media.ffmpeg import tool
from emotion_platform_tests import media_corpus_hostile as hostile

# Limits the corpus is built against (small, so "too large" and "too long" files stay small).
MAX_BYTES = 4 * 1024 * 1024
MAX_DURATION_S = 120.0


@dataclass(frozen=True)
class Case:
    name: str
    stage: str  # "admission" (sensor), "decode" (media asset) or "transcript" (transcripts asset)
    expected: str  # reason code for rejections, transcript status otherwise
    same_as: str | None = None  # the same bytes as this other case: one partition for both

    @property
    def pipeline_outcome(self) -> str:
        """The outcome in words, as the corpus table states it."""
        if self.stage in ("admission", "decode"):
            return f"quarantined at {self.stage}: {self.expected}"
        return f"completed: {self.expected}" + (f" (same partition as {self.same_as})" if self.same_as else "")


def _ffmpeg(*args: str) -> None:
    subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-y", *args], check=True)


def _wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def build_bad_corpus(dest: Path, samples: dict[str, Path], speech_wav: Path) -> list[Case]:
    """Write the corpus into ``dest`` and return the expected outcome of each file."""
    dest.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, stage: str, expected: str, same_as: str | None = None) -> Path:
        cases.append(Case(name, stage, expected, same_as))
        return dest / name

    add("empty.wav", "admission", "empty").write_bytes(b"")
    speech = speech_wav.read_bytes()
    add("header_only.wav", "decode", "corrupt").write_bytes(speech[:44])
    _wav(add("zero_samples.wav", "decode", "too_short"), np.zeros(0))
    # A WAV whose header still declares the full length but whose data was cut short.
    add("cut_short.wav", "decode", "corrupt").write_bytes(speech[: int(len(speech) * 0.4)])
    # A float WAV whose samples include NaN and infinity (a damaged recorder or a bad export).
    voice, rate = sf.read(str(speech_wav), dtype="float32")
    damaged = voice.copy()
    damaged[1000:1200], damaged[5000:5010] = np.nan, np.inf
    sf.write(add("damaged_float.wav", "decode", "corrupt"), damaged, rate, subtype="FLOAT")
    video = samples["talking_head.mp4"].read_bytes()
    add("truncated_upload.mp4", "decode", "not_media").write_bytes(video[: len(video) // 3])
    add("meeting_notes.mp3", "decode", "not_media").write_text("These are notes, not audio.\n" * 40)
    add("random_bytes.m4a", "decode", "not_media").write_bytes(np.random.default_rng(7).bytes(65536))
    frame = np.asarray(Image.open(_first_frame(samples["talking_head.mp4"], dest)))
    Image.fromarray(frame).save(add("photo_of_speaker.png", "decode", "not_media"))
    add("subtitles_only.srt", "decode", "no_streams").write_text(
        "1\n00:00:00,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,500 --> 00:00:04,000\nGoodbye.\n"
    )
    # Over the size limit: real speech repeated past MAX_BYTES (caught before anything is copied).
    big = add("long_lecture.wav", "admission", "too_large")
    with wave.open(str(speech_wav)) as src:
        params, frames = src.getparams(), src.readframes(src.getnframes())
    with wave.open(str(big), "wb") as out:
        out.setparams(params)
        while big.stat().st_size <= MAX_BYTES:
            out.writeframes(frames)
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=8000:cl=mono",
        "-t",
        str(MAX_DURATION_S * 2),
        "-c:a",
        "libopus",
        "-b:a",
        "6k",
        str(add("night_recording.ogg", "decode", "too_long")),
    )
    link = add("linked_secret.wav", "admission", "unsafe_path")
    link.symlink_to("/etc/passwd")
    # Valid media with nothing to transcribe.
    silence = add("silence.wav", "transcript", "no_speech")
    _wav(silence, np.zeros(SAMPLE_RATE * 4))
    shutil.copyfile(samples["music_animation.mp4"], add("trailer_music.mp4", "transcript", "no_speech"))
    shutil.copyfile(samples["talking_head.mp4"], add("talking_head_no_audio.mp4", "transcript", "no_audio"))
    (dest / _first_frame_name).unlink(missing_ok=True)
    with wave.open(str(speech_wav)) as src:
        speech_pcm = src.readframes(src.getnframes())
    hostile.add_lying_wav_headers(add, speech_pcm)
    hostile.add_bombs(add, dest, speech_wav)
    hostile.add_video_and_containers(add, dest, speech_wav)
    hostile.add_not_quite_media(add, dest, speech_wav)
    hostile.add_awkward_names(add, silence)
    return cases


_first_frame_name = ".first_frame.jpg"


def _first_frame(video: Path, folder: Path) -> Path:
    out = folder / _first_frame_name
    _ffmpeg("-i", str(video), "-frames:v", "1", str(out))
    return out


def build_good_files(dest: Path, librivox: list[Path]) -> dict[str, str]:
    """Real speech under awkward names: unicode, spaces, a wrong extension. Returns name -> source."""
    dest.mkdir(parents=True, exist_ok=True)
    named = {
        "Entrevista café – 日本語 (take 1).wav": librivox[0],
        "report ..\\..\\windows traversal.wav": librivox[1],
        "speech actually wav.txt": librivox[2],
    }
    for name, source in named.items():
        shutil.copyfile(source, dest / name)
    return {name: str(source) for name, source in named.items()}


def settle(folder: Path, age_s: float = 60.0) -> None:
    """Backdate every file's mtime so the inbox sensor treats it as fully written."""
    past = os.path.getmtime(folder) - age_s
    for path in folder.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (past, past))


def long_reading(dest: Path, clips: list[Path], repeats: int = 3) -> Path:
    """The LibriVox clips read ``repeats`` times over into one WAV (~75 s for 3): long enough that its
    transcription takes seconds, for tests that interrupt it or need room on a disk."""
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{clip}'\n" for clip in clips * repeats))
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), str(dest))
    listing.unlink()
    return dest
