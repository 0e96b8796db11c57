"""A small real champion for serving tests: a tiny BERT (MiniLM's tokenizer) registered in a sqlite MLflow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment, log_bundle

MODEL_NAME = "emotion-serving-test"


@dataclass(frozen=True)
class Champion:
    tracking_uri: str
    name: str
    version: str
    bundle_dir: Path


def tiny_bundle(dest: Path) -> Path:
    """A text-only bundle: a 2-layer BERT with a seven-way classification head, never trained."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    encoder = tiny_encoder_dir(dest.parent / "tiny-encoder")
    model = AutoModelForSequenceClassification.from_pretrained(
        str(encoder), num_labels=len(EMOTIONS), id2label=dict(enumerate(EMOTIONS)),
        label2id={e: i for i, e in enumerate(EMOTIONS)})
    text = TextEmotionModel(model.eval(), AutoTokenizer.from_pretrained(str(encoder)), max_length=48)
    return EmotionBundle(text, None, {"text": 1.0}).save(dest)


def register_champion(root: Path) -> Champion:
    """Log the tiny bundle to a new sqlite MLflow under ``root`` and give it the ``champion`` alias."""
    uri = f"sqlite:///{root / 'mlflow.db'}"
    bundle_dir = tiny_bundle(root / "bundle")
    experiment = ensure_experiment(uri, "serving-test", root / "artifacts")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run(experiment_id=experiment):
        info = log_bundle(bundle_dir, MODEL_NAME, ["torch", "transformers"], uri)
    version = str(info.registered_model_version)
    ModelRegistry(uri, MODEL_NAME).promote(version, "serving test")
    return Champion(uri, MODEL_NAME, version, bundle_dir)


# One champion and one Bento per test session, shared by the serving and the asset tests.
_SHARED: dict[str, object] = {}


def shared_champion(tmp_path_factory) -> Champion:
    if "champion" not in _SHARED:
        _SHARED["champion"] = register_champion(tmp_path_factory.mktemp("serving-champion"))
    return _SHARED["champion"]  # type: ignore[return-value]


@dataclass(frozen=True)
class MaterializedBento:
    champion: Champion
    bentoml_home: Path
    value: dict
    metadata: dict


def shared_bento(tmp_path_factory) -> MaterializedBento:
    """The ``emotion_bento`` asset materialized (through Dagster) from the shared champion."""
    if "bento" not in _SHARED:
        import dagster as dg

        from emotion_platform.assets.serving.assets import BentoStoreResource, emotion_bento
        from emotion_platform.resources.mlflow import ModelRegistryResource

        champion = shared_champion(tmp_path_factory)
        home = tmp_path_factory.mktemp("bentoml-home")
        resources = {"model_registry": ModelRegistryResource(tracking_uri=champion.tracking_uri,
                                                             model_name=champion.name),
                     "bento_store": BentoStoreResource(home=str(home))}
        with dg.instance_for_test() as instance:
            result = dg.materialize([emotion_bento], instance=instance, resources=resources)
            assert result.success
            materialization = result.asset_materializations_for_node("emotion_bento")[0]
            metadata = {k: v.value for k, v in materialization.metadata.items()}
            _SHARED["bento"] = MaterializedBento(champion, home, result.asset_value("emotion_bento"), metadata)
    return _SHARED["bento"]  # type: ignore[return-value]
