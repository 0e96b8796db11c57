"""Library fixtures: frames of the real talking-head sample (sampled by the media stage's own decoder,
real ffmpeg), the real RAVDESS clip table, the shipped Whisper encoder as the speech branch runs it,
and a small real emotion bundle."""

from pathlib import Path

import pandas as pd
import pytest

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.media.decode import extract_frames
from emotion_platform.lib.speech.encoder import SpeechEncoderSpec, WhisperSpeechEncoder
from emotion_platform.settings import PlatformSettings
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
def ravdess() -> pd.DataFrame:
    """Every RAVDESS clip (24 actors, the platform's seven labels), in a fixed order."""
    clips = load_speech(PlatformSettings().datasets_dir, ["ravdess_speech"])
    return clips.sort_values("example_id").reset_index(drop=True)


@pytest.fixture(scope="session")
def feature_cache() -> Path:
    """The platform's own feature cache: clip embeddings computed by any run are reused."""
    return PlatformSettings().cache_dir / "features"


@pytest.fixture(scope="session")
def speech_encoder(model_cache) -> WhisperSpeechEncoder:
    """The default speech encoder (tiny.en, block 3, mean-pooled, silence trimmed) on the shipped weights."""
    return WhisperSpeechEncoder(SpeechEncoderSpec(), model_cache)


@pytest.fixture(scope="session")
def emotion_bundle(tmp_path_factory) -> EmotionBundle:
    return small_bundle(tmp_path_factory.mktemp("bundle-work"))
