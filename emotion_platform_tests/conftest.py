"""Shared fixtures: real sample media, the real Whisper model cache, a temporary storage root."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

from emotion_platform.lib.samples import LibrivoxClip, gather_wheel_samples, librivox_clips  # noqa: E402
from emotion_platform.resources import StorageResource, TranscriberResource  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The real model cache (converted checkpoints are reused across test runs)."""
    return PlatformSettings().cache_dir


@pytest.fixture(scope="session")
def samples(model_cache: Path) -> dict[str, Path]:
    return gather_wheel_samples(model_cache / "samples")


@pytest.fixture(scope="session")
def librivox() -> list[LibrivoxClip]:
    return librivox_clips()


@pytest.fixture()
def storage(tmp_path: Path) -> StorageResource:
    return StorageResource(root=str(tmp_path / "data"), inbox=str(tmp_path / "inbox"), settle_s=0.0)


@pytest.fixture(scope="session")
def fast_transcriber(model_cache: Path) -> TranscriberResource:
    return TranscriberResource(backend="faster-whisper", model="tiny.en", device="cpu", cache_dir=str(model_cache))


@pytest.fixture(scope="session")
def bad_corpus(tmp_path_factory, samples, librivox):
    """The project's bad-input corpus (real media cut, mislabelled, oversized or lying), built once."""
    from emotion_platform_tests.media_corpus import build_bad_corpus

    folder = tmp_path_factory.mktemp("bad-corpus")
    cases = build_bad_corpus(folder, samples, librivox[0].path)
    return folder, cases


@pytest.fixture(scope="session")
def corpus_pipeline(tmp_path_factory, bad_corpus, librivox, fast_transcriber) -> dict:
    """The corpus and real speech through the sensor and the assets, once per session."""
    from emotion_platform_tests.corpus_pipeline import run_corpus_pipeline

    folder, cases = bad_corpus
    return run_corpus_pipeline(tmp_path_factory.mktemp("platform"), folder, cases, librivox, fast_transcriber)


@pytest.fixture()
def small_disk(tmp_path):
    """A 4 MiB tmpfs: a real filesystem that fills up (needs root; skipped where mounting is not allowed)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)
