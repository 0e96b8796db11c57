"""The media limits: one model (``MediaLimits``), set from the environment, carried into the storage resource."""

from __future__ import annotations

import pytest

from emotion_platform.definitions import build_resources
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.settings import PlatformSettings


@pytest.fixture(autouse=True)
def no_media_env(monkeypatch) -> None:
    for name in MediaLimits.model_fields:
        monkeypatch.delenv(f"EMOTION_PLATFORM_MEDIA_{name.upper()}", raising=False)
        monkeypatch.delenv(f"EMOTION_PLATFORM_MEDIA__{name.upper()}", raising=False)


def test_the_settings_default_to_the_models_limits(tmp_path) -> None:
    media = PlatformSettings(data_dir=tmp_path).media
    assert isinstance(media, MediaLimits)
    assert media.model_dump() == MediaLimits().model_dump()


@pytest.mark.parametrize("prefix", ["EMOTION_PLATFORM_MEDIA_", "EMOTION_PLATFORM_MEDIA__"])
def test_an_environment_variable_sets_a_limit(monkeypatch, tmp_path, prefix: str) -> None:
    monkeypatch.setenv(f"{prefix}MAX_BYTES", "1000")
    monkeypatch.setenv(f"{prefix}MAX_CHANNELS", "2")
    media = PlatformSettings(data_dir=tmp_path).media
    assert media.max_bytes == 1000 and media.max_channels == 2
    assert media.max_duration_s == MediaLimits().max_duration_s


def test_the_storage_resource_takes_the_settings_limits(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("EMOTION_PLATFORM_MEDIA__MAX_DURATION_S", "60")
    monkeypatch.setenv("EMOTION_PLATFORM_MEDIA_MAX_FRAME_PIXELS", "307200")
    settings = PlatformSettings(data_dir=tmp_path)
    storage = build_resources(settings)["storage"]
    assert storage.limits == MediaLimits(max_duration_s=60, max_frame_pixels=307_200)
    assert storage.max_duration_s == 60.0
