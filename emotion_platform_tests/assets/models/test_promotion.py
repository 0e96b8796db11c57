"""``promotion_gate`` and ``champion_model`` on in-memory evaluation records (no training, no MLflow):
the gate passes a candidate over the floor and refuses one that regresses against the champion,
``champion_model`` refuses that one before touching the registry, and in a Dagster run the check reads
the evaluation the record IO manager stored."""

from pathlib import Path

import dagster as dg
import pytest

from emotion_platform.assets.models.champion import champion_model
from emotion_platform.assets.models.evaluation import EVALUATION_RECORD_FILE, model_evaluation, promotion_gate
from emotion_platform.lib.model_runs import CandidateRecord, EvaluationRecord
from emotion_platform.resources import RECORD_IO_MANAGER, RecordIOManager, StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource, PromotionPolicyResource

POLICY = PromotionPolicyResource(min_weighted_f1=0.55, max_p95_latency_ms=100.0, tolerance=0.01)
CANDIDATE = CandidateRecord(
    bundle_dir="/models/bundles/run-1",
    mlflow_run_id="run-1",
    model_uri="models:/m-1",
    registered_model="emotion-model",
    version="2",
    validation={"accuracy": 0.6, "macro_f1": 0.4, "weighted_f1": 0.58, "ece": 0.05},
    train_counts={"meld": 300, "ravdess_speech": 120},
    config={"learning_rate": 8e-05, "epochs": 1, "speech_c": 0.003},
    speech_encoder={"whisper_model": "tiny.en", "layer": 3, "pooling": "mean", "trim_db": 35.0},
    fusion="gated log-linear pool of words and voice",
    face_model=None,
    face_weight=0.0,
    base_encoder="all-MiniLM-L6-v2",
    curves=[{"epoch": 1, "train_loss": 1.7, "val_weighted_f1": 0.58}],
)


def _evaluation(weighted_f1: float, champion_f1: float | None) -> EvaluationRecord:
    champion = (
        {"version": "1", "weighted_f1": champion_f1, "latency": {"p95_ms": 12.0}} if champion_f1 is not None else None
    )
    return EvaluationRecord(
        candidate={"weighted_f1": weighted_f1, "latency": {"p50_ms": 8.0, "p95_ms": 15.0}},
        champion=champion,
        version=CANDIDATE.version,
        model=CANDIDATE,
        test_examples=250,
    )


def test_the_gate_passes_a_candidate_over_the_floor() -> None:
    result = promotion_gate(model_evaluation=_evaluation(0.60, champion_f1=0.59), promotion_policy=POLICY)

    assert result.passed
    assert result.metadata["version"].value == "2"
    assert "weighted F1 0.6000 >= champion 0.5900" in result.metadata["reasons"].value
    assert result.metadata["champion_weighted_f1"].value == 0.59


def test_the_gate_and_the_champion_refuse_a_regression(tmp_path: Path) -> None:
    worse = _evaluation(0.56, champion_f1=0.60)

    check = promotion_gate(model_evaluation=worse, promotion_policy=POLICY)

    assert not check.passed
    assert check.metadata["reasons"].value == "weighted F1 0.5600 < champion 0.6000 - tolerance 0.0100"
    unreachable = ModelRegistryResource(tracking_uri=f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}")
    with pytest.raises(dg.Failure, match="promotion gate failed: weighted F1 0.5600 < champion"):
        champion_model(
            context=dg.build_asset_context(),
            model_evaluation=worse,
            storage=StorageResource(root=str(tmp_path / "data"), inbox=str(tmp_path / "inbox")),
            model_registry=unreachable,
            promotion_policy=POLICY,
        )
    assert not (tmp_path / "none").exists() and not (tmp_path / "data" / "models").exists()


def test_the_check_reads_the_stored_evaluation_record(tmp_path: Path) -> None:
    stored = _evaluation(0.40, champion_f1=None).save(tmp_path / EVALUATION_RECORD_FILE)
    resources = {
        RECORD_IO_MANAGER: RecordIOManager(root=str(tmp_path)),
        "promotion_policy": POLICY,
        "storage": StorageResource(root=str(tmp_path), inbox=str(tmp_path / "inbox")),
        "datasets": DatasetsResource(root=str(tmp_path), feature_cache=str(tmp_path), model_cache=str(tmp_path)),
        "model_registry": ModelRegistryResource(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"),
        "transcriber": TranscriberResource(backend="faster-whisper", model="tiny.en", cache_dir=str(tmp_path)),
    }

    result = dg.materialize(  # the check alone: model_evaluation is read back from its file
        [dg.AssetSpec("splits"), dg.AssetSpec("emotion_model"), model_evaluation, promotion_gate],
        selection=dg.AssetSelection.checks(promotion_gate),
        resources=resources,
        raise_on_error=False,
    )

    assert stored == tmp_path / "models" / "records" / "evaluation.json"
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["reasons"].value == "weighted F1 0.4000 < floor 0.5500"
    assert not result.asset_materializations_for_node("model_evaluation")
