"""How many server processes and torch threads the service runs with."""

from __future__ import annotations

import pytest

from emotion_platform.serving import service_settings
from emotion_platform.serving.service_settings import ServingConfigError, ServingSettings


@pytest.mark.parametrize(
    ("cores", "gpu", "workers", "threads"),
    [
        (2, False, 2, 1),
        (1, False, 1, 1),
        (16, False, 8, 2),
        (12, False, 8, 1),
        (16, True, 1, 16),
    ],
)
def test_auto_workers_share_the_cores_on_cpu_and_keep_one_model_copy_on_a_gpu(
    monkeypatch, cores, gpu, workers, threads
) -> None:
    monkeypatch.setattr(service_settings, "available_cores", lambda: cores)
    monkeypatch.setattr(ServingSettings, "uses_gpu", lambda self: gpu)
    settings = ServingSettings(workers="auto")
    assert settings.worker_count() == workers
    assert settings.torch_threads() == threads


def test_explicit_workers_are_kept_and_must_be_positive(monkeypatch) -> None:
    monkeypatch.setattr(service_settings, "available_cores", lambda: 4)
    assert ServingSettings(workers=3).worker_count() == 3
    assert ServingSettings(workers=3).torch_threads() == 1
    with pytest.raises(ServingConfigError, match="at least 1"):
        ServingSettings(workers=0).worker_count()


def test_workers_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("EMOTION_PLATFORM_SERVING_WORKERS", "1")
    assert ServingSettings().worker_count() == 1
    monkeypatch.setenv("EMOTION_PLATFORM_SERVING_WORKERS", "auto")
    assert ServingSettings().workers == "auto"


def test_threads_per_worker_can_be_set_and_must_be_positive(monkeypatch) -> None:
    monkeypatch.setattr(service_settings, "available_cores", lambda: 2)
    monkeypatch.setenv("EMOTION_PLATFORM_SERVING_THREADS_PER_WORKER", "2")
    assert ServingSettings(workers=2).torch_threads() == 2
    with pytest.raises(ServingConfigError, match="at least 1"):
        ServingSettings(threads_per_worker=0).torch_threads()
