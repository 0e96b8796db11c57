"""A small real champion for serving tests, registered in a sqlite MLflow.

Text branch: a tiny BERT (MiniLM's tokenizer) with an untrained seven-way head. Speech branch: the
shipped Whisper tiny.en encoder with a head trained on 42 RAVDESS clips, and the stacked words/voice
fusion fitted on held-out RAVDESS clips and espeak-ng-spoken MELD lines (as in
:mod:`emotion_platform_tests.small_bundle`). Face branch: the shipped PyEmotion network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mlflow

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.spoken import spoken_examples
from emotion_platform.lib.datasets.text import load_meld
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.speech.training import fit_words_voice_fusion, train_speech_branch
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment, log_bundle
from emotion_platform.settings import PlatformSettings
from emotion_platform_tests.small_bundle import small_speech_clips

MODEL_NAME = "emotion-serving-test"


@dataclass(frozen=True)
class Champion:
    tracking_uri: str
    name: str
    version: str
    bundle_dir: Path


def speech_and_fusion(text: TextEmotionModel):
    """A real speech branch trained on a few RAVDESS clips, and the words/voice fusion over it and ``text``."""
    settings = PlatformSettings()
    train, validation = small_speech_clips()
    features = settings.cache_dir / "features"
    speech, _ = train_speech_branch(train, validation, features, settings.cache_dir)
    lines = load_meld(settings.datasets_dir).sort_values("example_id").groupby("label").head(2)
    spoken = spoken_examples(lines, features / "spoken", seed=0)
    return speech, fit_words_voice_fusion(text, speech, validation, spoken, features)


def tiny_bundle(dest: Path) -> Path:
    """A 2-layer BERT with a seven-way classification head (never trained), a real speech branch and fusion."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    encoder = tiny_encoder_dir(dest.parent / "tiny-encoder")
    model = AutoModelForSequenceClassification.from_pretrained(
        str(encoder),
        num_labels=len(EMOTIONS),
        id2label=dict(enumerate(EMOTIONS)),
        label2id={e: i for i, e in enumerate(EMOTIONS)},
    )
    text = TextEmotionModel(model.eval(), AutoTokenizer.from_pretrained(str(encoder)), max_length=48)
    speech, fusion = speech_and_fusion(text)
    return EmotionBundle(text, speech, fusion).save(dest)


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
        resources = {
            "model_registry": ModelRegistryResource(tracking_uri=champion.tracking_uri, model_name=champion.name),
            "bento_store": BentoStoreResource(home=str(home)),
        }
        with dg.instance_for_test() as instance:
            result = dg.materialize([emotion_bento], instance=instance, resources=resources)
            assert result.success
            materialization = result.asset_materializations_for_node("emotion_bento")[0]
            metadata = {k: v.value for k, v in materialization.metadata.items()}
            _SHARED["bento"] = MaterializedBento(champion, home, result.asset_value("emotion_bento"), metadata)
    return _SHARED["bento"]  # type: ignore[return-value]
