"""A candidate as a tracked model run on small real MELD splits: trained, saved, logged and registered in
a real sqlite MLflow store, then evaluated and logged to the same run; the champion to compare with."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from emotion_platform.lib.candidate import CandidatePlan
from emotion_platform.lib.datasets.splits import assign_splits
from emotion_platform.lib.datasets.text import load_meld
from emotion_platform.lib.model_runs import (
    CandidateRecord,
    EvaluationRecord,
    champion_to_compare,
    evaluate_and_log,
    train_and_register,
)
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.tracking import ModelRegistry, tracked_run
from emotion_platform.settings import PlatformSettings

pytestmark = pytest.mark.slow  # a fine-tune and a registered MLflow model


@pytest.fixture(scope="module")
def meld_splits() -> pd.DataFrame:
    """Real MELD lines on their published splits: 6 per emotion to train on, 3 to validate and to test on."""
    lines = assign_splits(load_meld(PlatformSettings().datasets_dir).sort_values("example_id"))
    sizes = {"train": 6, "validation": 3, "test": 3}
    return pd.concat([lines[lines["split"] == s].groupby("label").head(n) for s, n in sizes.items()], ignore_index=True)


def test_trained_registered_evaluated_and_logged_to_one_run(meld_splits, tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    registry = ModelRegistry(uri, "model-runs-test")
    encoder = tiny_encoder_dir(tmp_path / "encoder")
    plan = CandidatePlan(encoder=str(encoder), epochs=1, batch_size=8, max_length=32)
    bundle_dir = tmp_path / "models" / "candidate"
    with tracked_run(uri, "model-runs-test", tmp_path / "artifacts", "test", {}) as run_id:
        trained = train_and_register(
            meld_splits, plan, bundle_dir, registry, ["emotion_platform"], tmp_path / "features", tmp_path / "cache"
        )
    assert (trained.mlflow_run_id, trained.version, trained.registered_model) == (run_id, "1", "model-runs-test")
    assert (bundle_dir / "bundle.json").exists() and (tmp_path / "models" / "candidate-val.png").exists()
    record = trained.record()
    stored = json.loads(record.save(tmp_path / "candidate.json").read_text())  # what candidate.json keeps
    assert list(stored)[:5] == ["bundle_dir", "mlflow_run_id", "model_uri", "registered_model", "version"]
    assert set(stored) == {"bundle_dir", "mlflow_run_id", "model_uri", "registered_model", "version"} | set(
        trained.summary
    )
    assert record.bundle_dir == str(bundle_dir) and record.validation == trained.candidate.validation
    assert CandidateRecord.load(tmp_path / "candidate.json") == record
    client = MlflowClient(uri, registry_uri=uri)
    assert client.get_model_version("model-runs-test", "1").run_id == run_id
    run = client.get_run(run_id)
    assert run.data.params["train_examples"] == "42" and "val_weighted_f1" in run.data.metrics
    assert [m.step for m in client.get_metric_history(run_id, "train_loss")] == [1]
    assert [a.path for a in client.list_artifacts(run_id, "evaluation")] == ["evaluation/candidate-val.png"]

    evaluation = evaluate_and_log(
        record, meld_splits, registry, tmp_path / "features", None, tmp_path / "figures", latency_examples=2
    )
    assert evaluation.champion is None and evaluation.test_examples == 21 and evaluation.speech_test_examples == 0
    assert evaluation.confusion_png == tmp_path / "figures" / "1-cm.png" and evaluation.confusion_png.exists()
    assert evaluation.record() == EvaluationRecord(
        candidate=evaluation.candidate, champion=None, version="1", model=record, test_examples=21
    )
    evaluation.record().save(tmp_path / "evaluation.json")  # the test metrics are plain JSON
    assert EvaluationRecord.load(tmp_path / "evaluation.json") == evaluation.record()
    metrics = client.get_run(run_id).data.metrics
    assert metrics["test_weighted_f1"] == pytest.approx(evaluation.candidate["weighted_f1"])
    assert "evaluation/1-cm.png" in {a.path for a in client.list_artifacts(run_id, "evaluation")}
    assert mlflow.active_run() is None

    assert champion_to_compare(registry, "1") is None  # no champion yet
    registry.promote("1", "test")
    assert champion_to_compare(registry, "1") is None  # the candidate is the champion
    champion = champion_to_compare(registry, "2")
    assert champion is not None and champion.version == "1"
    loaded, folder = champion.load()
    assert loaded.speech is None and (folder / "bundle.json").exists()
