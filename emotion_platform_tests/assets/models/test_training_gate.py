"""Training through the real assets and MLflow (sqlite), the promotion gate, and rollback.

Three candidates on small slices of real MELD data: a first model (becomes champion), a deliberately
worse one (untrained classification head: the gate must refuse it), and a better one (more data and
epochs: promoted, the first becomes previous-champion); then a rollback restores the first.
"""

from pathlib import Path

import dagster as dg
import mlflow
import pytest

from emotion_platform.assets.models.assets import TRAINING_ASSETS, TRAINING_CHECKS
from emotion_platform.assets.models.candidate import emotion_model
from emotion_platform.assets.models.champion import champion_model
from emotion_platform.assets.models.evaluation import model_evaluation
from emotion_platform.lib.model_runs import CandidateRecord, ChampionRecord
from emotion_platform.lib.tracking import ModelRegistry
from emotion_platform.resources import (
    PARQUET_IO_MANAGER,
    RECORD_IO_MANAGER,
    ParquetIOManager,
    RecordIOManager,
    StorageResource,
    TranscriberResource,
)
from emotion_platform.resources.mlflow import (
    DatasetsResource,
    ModelRegistryResource,
    PromotionPolicyResource,
    mlflow_tracking_resource,
)
from emotion_platform.settings import PlatformSettings

pytestmark = pytest.mark.slow

ASSETS = [*TRAINING_ASSETS, *TRAINING_CHECKS]
SMALL = {
    "max_train_examples": 300,
    "max_validation_examples": 120,
    "epochs": 1,
    "learning_rate": 2e-4,
    "max_length": 48,
    "batch_size": 16,
    "max_speech_examples": 120,
    "flat_voice_lines": 30,
    "spoken_lines": 40,
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    resources = {
        "storage": StorageResource(root=str(root / "data"), inbox=str(root / "inbox")),
        PARQUET_IO_MANAGER: ParquetIOManager(root=str(root / "data")),
        RECORD_IO_MANAGER: RecordIOManager(root=str(root / "data")),
        "datasets": DatasetsResource(
            root=str(PlatformSettings().datasets_dir),
            feature_cache=str(PlatformSettings().cache_dir / "features"),
            model_cache=str(PlatformSettings().cache_dir),
        ),
        "mlflow": mlflow_tracking_resource.configured(
            {"experiment_name": "test-emotion", "mlflow_tracking_uri": uri, "artifact_root": str(root / "artifacts")}
        ),
        "model_registry": ModelRegistryResource(tracking_uri=uri, model_name="emotion-text-test"),
        "promotion_policy": PromotionPolicyResource(min_weighted_f1=0.05, max_p95_latency_ms=2000, tolerance=0.0),
        "transcriber": TranscriberResource(
            backend="faster-whisper", model="tiny.en", device="cpu", cache_dir=str(PlatformSettings().cache_dir)
        ),
    }
    with dg.instance_for_test() as instance:
        yield {"resources": resources, "instance": instance, "uri": uri, "root": root}


def train(platform, model_config: dict, selection=None):
    run_config = {
        "ops": {
            "training_examples": {"config": {"text_sources": ["meld"], "speech_sources": ["ravdess_speech"]}},
            "splits": {"config": {"text_sources": ["meld"], "speech_sources": ["ravdess_speech"]}},
            "emotion_model": {"config": model_config},
            "model_evaluation": {"config": {"max_test_examples": 250, "latency_examples": 10}},
        }
    }
    if selection is not None:
        run_config["ops"] = {k: v for k, v in run_config["ops"].items() if k in ("emotion_model", "model_evaluation")}
    result = dg.materialize(
        ASSETS,
        instance=platform["instance"],
        resources=platform["resources"],
        run_config=run_config,
        raise_on_error=False,
        selection=selection,
    )
    mlflow.end_run()  # dagster-mlflow's hook ends runs of jobs; materialize() has no hooks
    return result


def gate_result(result):
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == "promotion_gate")


@pytest.mark.timeout(1800)  # three real fine-tunes: ~3 min on 2 idle cores, far longer when they are shared
def test_gate_refuses_worse_promotes_better_and_rollback_restores(platform) -> None:
    registry = ModelRegistry(platform["uri"], "emotion-text-test")

    first = train(platform, SMALL)
    assert first.success
    assert gate_result(first).passed
    assert str(registry.champion().version) == "1"
    evaluation = first.asset_value("model_evaluation").candidate
    assert set(evaluation) >= {"accuracy", "macro_f1", "weighted_f1", "per_class_f1", "ece", "latency", "size_mb"}
    run = mlflow.tracking.MlflowClient(platform["uri"]).get_run(first.asset_value("emotion_model").mlflow_run_id)
    assert run.data.tags["dagster_run_id"] == first.run_id
    assert {"val_macro_f1", "test_weighted_f1", "latency_p95_ms", "train_loss"} <= set(run.data.metrics)
    champion = first.asset_value("champion_model")
    assert champion == ChampionRecord.load(platform["root"] / "data" / "models" / "records" / "champion.json")
    card = Path(champion.card).read_text()
    assert "MELD" in card and "RAVDESS" in card and "Intended use" in card and "weighted F1" in card
    assert {"val_speech_accuracy", "val_speech_uar", "val_speech_macro_f1"} <= set(run.data.metrics)
    # Progress as it went: per-epoch metrics in MLflow, batches and epochs in the Dagster run log.
    client = mlflow.tracking.MlflowClient(platform["uri"])
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")] == [1]
    messages = [entry.user_message for entry in platform["instance"].all_logs(first.run_id)]
    assert any(m.startswith("epoch 1/1: 0/") and "batches (0%)" in m for m in messages), messages
    assert any(m.startswith("epoch 1/1: ") and "(100%), done in" in m for m in messages)
    assert any(m.startswith("training: 1/1 epochs (100%)") and "val_weighted_f1" in m for m in messages)
    assert any(m.startswith("evaluation: 2/2 parts (100%), done in") and "speech test" in m for m in messages)
    assert run.data.params["spoken_fusion_lines"] == "40"
    record = first.asset_value("emotion_model")
    assert record == CandidateRecord.load(platform["root"] / "data" / "models" / "records" / "candidate.json")
    assert record.speech_encoder == {"whisper_model": "tiny.en", "layer": 3, "pooling": "mean", "trim_db": 35.0}
    assert record.fusion.startswith("gated") and (record.face_model or "").startswith("PyEmotion")
    assert record.config["flat_voice_lines"] == 30 and record.config["spoken_fusion_lines"] == 40
    bundle_dir = Path(record.bundle_dir)
    assert {p.name for p in bundle_dir.iterdir()} == {"text", "speech", "fusion.json", "face.json", "bundle.json"}
    meta = first.asset_materializations_for_node("emotion_model")[0].metadata
    # 120 sampled clips plus the 30 espeak-ng lines given to the speech branch as neutral voice
    assert meta["speech_train_examples"].value == 150
    speech = evaluation["speech"]
    assert set(speech) == {"text", "speech", "fused"}
    assert speech["speech"]["uar"] > 1 / 7  # the voice is read above chance on held-out actors
    assert speech["fused"]["n"] == speech["speech"]["n"] == speech["text"]["n"] > 0
    assert "Whisper tiny.en, block 3, mean pooling" in card

    rest = dg.AssetSelection.assets(emotion_model, model_evaluation, champion_model)  # with their checks
    worse = train(platform, SMALL | {"learning_rate": 1e-9}, selection=rest)
    check = gate_result(worse)
    assert not check.passed
    assert "champion" in check.metadata["reasons"].value
    assert not worse.asset_materializations_for_node("champion_model")
    assert str(registry.champion().version) == "1"

    better = train(platform, SMALL | {"max_train_examples": 900, "epochs": 2}, selection=rest)
    assert gate_result(better).passed, gate_result(better).metadata["reasons"].value
    assert str(registry.champion().version) == "3"
    assert str(registry.version_by_alias("previous-champion").version) == "1"

    restored, demoted = registry.rollback()
    assert (restored, demoted) == ("1", "3")
    assert str(registry.champion().version) == "1"
    assert str(registry.version_by_alias("previous-champion").version) == "3"


def test_champion_predicts_emotions_on_ingested_media(platform, samples, librivox) -> None:
    """Runs after the gate test in this module (the champion exists): media -> transcripts -> emotions."""
    import shutil

    from emotion_platform.assets.features.assets import features
    from emotion_platform.assets.media.assets import media
    from emotion_platform.assets.predictions.assets import media_emotions, segment_emotions
    from emotion_platform.assets.transcripts.assets import transcripts
    from emotion_platform.lib.media.admission import admit
    from emotion_platform.lib.media.inbox import scan_inbox
    from emotion_platform.resources.mlflow import ChampionModelResource

    storage = platform["resources"]["storage"]
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    for path in (librivox[0].path, samples["music_animation.mp4"], samples["talking_head.mp4"]):
        shutil.copyfile(path, inbox / path.name)
    keys = {}
    for item in scan_inbox(inbox, {}, settle_s=0).ready:
        keys[item.path.name] = admit(item, storage.media_store, storage.max_bytes).media_id
    instance = platform["instance"]
    instance.add_dynamic_partitions("media_files", list(keys.values()))
    resources = platform["resources"] | {
        "champion": ChampionModelResource(tracking_uri=platform["uri"], model_name="emotion-text-test"),
    }
    outcomes = {}
    for name, key in keys.items():
        result = dg.materialize(
            [media, transcripts, features, segment_emotions, media_emotions],
            partition_key=key,
            instance=instance,
            resources=resources,
        )
        assert result.success
        outcomes[name] = result
    speech = outcomes[librivox[0].path.name]
    segments = speech.asset_value("segment_emotions").model_dump()["segments"]
    assert segments and all(abs(sum(s["emotions"].values()) - 1) < 1e-3 for s in segments)
    assert all(s["text_branch"] and s["speech_branch"] for s in segments)
    assert all(s["confidence"] == max(s["emotions"].values()) for s in segments)
    meta = speech.asset_materializations_for_node("media_emotions")[0].metadata
    assert meta["timeline"].value.startswith("![emotion timeline](data:image/png;base64,")
    # Music: audio but no words, so the voice is not read as speech; the video's faces alone are read
    # (the cartoon's faces may or may not be detected: then the file has no emotions, and says why).
    music = outcomes["music_animation.mp4"]
    music_record = music.asset_value("segment_emotions").model_dump()
    (music_segment,) = music_record["segments"]
    assert music_segment["text_branch"] is None and music_segment["speech_branch"] is None
    assert music_segment["emotions"] == music_segment["face_branch"]
    assert music_record["reason"].endswith("the faces alone are read")
    music_summary = music.asset_value("media_emotions").model_dump()
    assert music_summary["reason"] == music_record["reason"]
    # Video without audio: the trained bundle carries the face branch, which alone gives the file's emotions.
    silent = outcomes["talking_head.mp4"]
    silent_segments = silent.asset_value("segment_emotions").model_dump()["segments"]
    assert len(silent_segments) == 1 and silent_segments[0]["face_branch"] == silent_segments[0]["emotions"]
    assert silent.asset_materializations_for_node("media_emotions")[0].metadata["dominant"].value != "none"
