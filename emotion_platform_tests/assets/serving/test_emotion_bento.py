"""``emotion_bento`` through Dagster: the champion imported into the BentoML store and the Bento built.

Serving that Bento is tested end to end in ``emotion_platform_tests/serving/test_server_end_to_end.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emotion_platform.lib.errors import NoChampion
from emotion_platform.serving.bento import build_champion_bento
from emotion_platform_tests.serving.champion import shared_bento

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return shared_bento(tmp_path_factory)


def test_bento_carries_the_champion_and_records_its_tag(built) -> None:
    champion, meta = built.champion, built.metadata
    model_tag = f"emotion-model:v{champion.version}"
    assert meta["bentoml_model"] == model_tag and built.value["model_tag"] == model_tag
    assert meta["bento_tag"] == built.value["bento_tag"] and meta["bento_tag"].startswith("emotion_classifier:")
    assert meta["mlflow_version"] == champion.version
    bento_dir = Path(meta["bento_path"])
    manifest = yaml.safe_load((bento_dir / "bento.yaml").read_text())
    # The service declares the model, so the Bento references it (containerize/export pack it in).
    assert [m["tag"] for m in manifest["services"][0]["models"]] == [model_tag]
    assert manifest["args"] == {"bento_model": model_tag}
    assert manifest["labels"]["mlflow_version"] == champion.version
    model_dir = built.bentoml_home / "models" / "emotion-model" / f"v{champion.version}"
    assert (model_dir / "bundle" / "text" / "emotion_model.json").exists()
    assert (bento_dir / "src" / "emotion_platform" / "serving" / "service.py").exists()
    assert not (bento_dir / "src" / "emotion_platform_tests").exists()


def test_bento_pins_torch_without_the_cpu_label_and_targets_cuda(built) -> None:
    bento_dir = Path(built.metadata["bento_path"])
    text = (bento_dir / "env" / "python" / "requirements.txt").read_text()
    requirements = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    # The lock's version, not this machine's CPU wheel: PyPI's Linux torch of that version is the CUDA build.
    assert any(line.startswith("torch==") for line in requirements)
    assert not any("+cpu" in line for line in requirements)
    dockerfile = (bento_dir / "env" / "docker" / "Dockerfile").read_text()
    assert "FROM nvidia/cuda:" in dockerfile and "ffmpeg" in dockerfile


def test_no_champion_means_no_bento(tmp_path) -> None:
    with pytest.raises(NoChampion, match="alias 'champion'.*nothing to package"):
        build_champion_bento(f"sqlite:///{tmp_path / 'empty.db'}", "emotion-model", tmp_path / "home")
