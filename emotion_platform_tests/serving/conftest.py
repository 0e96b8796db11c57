"""Serving fixtures: one tiny real champion per test session, and the environment pointing at it."""

from __future__ import annotations

import json
import os

import pytest

from emotion_platform_tests.media_corpus import MAX_BYTES, MAX_DURATION_S
from emotion_platform_tests.serving.champion import Champion, MaterializedBento, shared_bento, shared_champion

API_KEY = "test-key-0123456789"
# A second key with a small budget of its own (the rate-limit tests spend it).
LIMITED_KEY = "limited-key-0123456789"
LIMITED_RATE = "3/minute"


@pytest.fixture(scope="session")
def champion(tmp_path_factory) -> Champion:
    return shared_champion(tmp_path_factory)


@pytest.fixture(scope="session")
def built_bento(tmp_path_factory) -> MaterializedBento:
    return shared_bento(tmp_path_factory)


@pytest.fixture(scope="session")
def serving_env(champion: Champion, model_cache, tmp_path_factory) -> dict[str, str]:
    """Environment variables that point the service at the test champion (also used by subprocesses)."""
    return {
        "EMOTION_PLATFORM_MLFLOW_TRACKING_URI": champion.tracking_uri,
        "EMOTION_PLATFORM_REGISTERED_MODEL": champion.name,
        "EMOTION_PLATFORM_CACHE_DIR": str(model_cache),
        "EMOTION_PLATFORM_SERVING_API_KEYS": f"{API_KEY},{LIMITED_KEY}",
        # The main key is unlimited: the load tests must measure the service, not the limit.
        "EMOTION_PLATFORM_SERVING_RATE_LIMITS": json.dumps({API_KEY: "off", LIMITED_KEY: LIMITED_RATE}),
        "EMOTION_PLATFORM_SERVING_RATE_LIMIT_DB": str(tmp_path_factory.mktemp("rate-limits") / "buckets.sqlite"),
        "EMOTION_PLATFORM_SERVING_MODE": "production",
        "EMOTION_PLATFORM_SERVING_DEVICE": "cpu",
        "EMOTION_PLATFORM_SERVING_MAX_UPLOAD_BYTES": str(MAX_BYTES),
        "EMOTION_PLATFORM_SERVING_MAX_DURATION_S": str(MAX_DURATION_S),
        "BENTOML_HOME": str(tmp_path_factory.mktemp("bentoml-home")),
        "HF_HUB_OFFLINE": "1",
    }


@pytest.fixture(scope="session")
def applied_env(serving_env):
    """``serving_env`` applied to this process for the session (in-process ASGI tests)."""
    saved = {k: os.environ.get(k) for k in serving_env}
    os.environ.update(serving_env)
    from emotion_platform.settings import get_settings

    get_settings.cache_clear()
    yield serving_env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def mlflow_service(applied_env):
    """The service in this process (its ASGI app), loading the champion from the MLflow alias."""
    from starlette.testclient import TestClient

    from emotion_platform.serving.service import EmotionClassifier

    with TestClient(EmotionClassifier.to_asgi(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def corpus_answer(mlflow_service, bad_corpus):
    """The service's response to each corpus file, posted once per session (name -> response)."""
    folder, _ = bad_corpus
    answers = {}

    def answer(name: str):
        if name not in answers:
            # The declared content type is a lie on purpose: only the bytes decide.
            with open(folder / name, "rb") as handle:
                answers[name] = mlflow_service.post(
                    "/classify_media",
                    files={"file": (name, handle, "audio/wav")},
                    headers={"Authorization": f"Bearer {API_KEY}"},
                )
        return answers[name]

    return answer
