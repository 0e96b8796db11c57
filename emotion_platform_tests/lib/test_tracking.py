"""The model registry's aliases: one error, :class:`NoChampion`, wherever a model under an alias is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion_platform.lib.errors import NoChampion
from emotion_platform.lib.tracking import CHAMPION, ModelRegistry


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}", "emotion-model")


def test_require_without_the_alias_names_the_model_the_alias_and_the_registry(registry) -> None:
    with pytest.raises(NoChampion) as raised:
        registry.require(CHAMPION, "nothing to serve")
    assert (raised.value.name, raised.value.alias, raised.value.tracking_uri) == (
        "emotion-model",
        "champion",
        registry.tracking_uri,
    )
    assert f"at {registry.tracking_uri}: nothing to serve; train and promote" in str(raised.value)


def test_rollback_needs_a_champion_and_a_previous_one(registry, tmp_path: Path) -> None:
    with pytest.raises(NoChampion, match="'champion'.*nothing to roll back"):
        registry.rollback()
    registry.client.create_registered_model(registry.name)
    version = registry.client.create_model_version(registry.name, source=(tmp_path / "model").as_uri())
    registry.promote(version.version, "first")
    assert str(registry.require(CHAMPION, "nothing to serve").version) == str(version.version)
    with pytest.raises(NoChampion, match="'previous-champion'.*no earlier champion to roll back to"):
        registry.rollback()
