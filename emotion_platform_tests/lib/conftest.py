"""Library fixtures: frames of the real talking-head sample (sampled by the media stage's own decoder,
real ffmpeg) and a small real emotion bundle."""

from pathlib import Path

import pytest

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.media.decode import extract_frames
from emotion_platform_tests.small_bundle import small_bundle


@pytest.fixture(scope="session")
def talking_head_frames(samples, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("talking-head") / "frames"
    extract_frames(samples["talking_head.mp4"], dest, fps=2.0, max_side=640, duration_s=4.004)
    return dest


@pytest.fixture(scope="session")
def talking_head_index(talking_head_frames) -> FrameIndex:
    return FrameIndex.read(talking_head_frames)


@pytest.fixture(scope="session")
def emotion_bundle(tmp_path_factory) -> EmotionBundle:
    return small_bundle(tmp_path_factory.mktemp("bundle-work"))
