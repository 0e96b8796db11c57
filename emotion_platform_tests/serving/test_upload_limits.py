"""The service's upload limits: its own size and duration settings on the platform's MediaLimits."""

from __future__ import annotations

from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.serving.service_settings import ServingSettings


def test_the_upload_limits_come_from_the_serving_settings(monkeypatch) -> None:
    monkeypatch.setenv("EMOTION_PLATFORM_SERVING_MAX_UPLOAD_BYTES", "4096")
    monkeypatch.setenv("EMOTION_PLATFORM_SERVING_MAX_DURATION_S", "30")
    monkeypatch.delenv("EMOTION_PLATFORM_SERVING_MIN_DURATION_S", raising=False)
    limits = ServingSettings().upload_limits()
    assert limits == MediaLimits(max_bytes=4096, max_duration_s=30.0)
    assert ServingSettings.model_fields["min_duration_s"].default == MediaLimits().min_duration_s
