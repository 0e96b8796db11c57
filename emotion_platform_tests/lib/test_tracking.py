"""MLflow through lib/tracking.py (a real sqlite tracking store): batches of metrics and params, per-epoch
curves and the run's artifacts; the registry's aliases, with one error (:class:`NoChampion`) wherever a
model under an alias is missing."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from emotion_platform.lib.errors import NoChampion
from emotion_platform.lib.tracking import (
    CHAMPION,
    ModelRegistry,
    ensure_experiment,
    log_artifact,
    log_batch,
    log_epoch,
    log_training_run,
    tracked_run,
)


@pytest.fixture
def tracking(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    experiment = ensure_experiment(uri, "tracking-test", tmp_path / "artifacts")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    yield uri, experiment
    mlflow.set_tracking_uri(previous)


def test_log_batch_adds_more_than_one_call_holds_to_a_finished_run(tracking) -> None:
    uri, experiment = tracking
    client = MlflowClient(uri)
    run_id = client.create_run(experiment).info.run_id
    client.set_terminated(run_id)
    metrics = {f"metric_{i}": i / 10 for i in range(1205)}  # MLflow takes 1,000 metrics per call
    params = {f"param_{i}": i for i in range(150)}  # and 100 params
    log_batch(run_id, metrics, params, tracking_uri=uri)
    data = client.get_run(run_id).data
    assert data.metrics == pytest.approx(metrics)
    assert data.params == {key: str(value) for key, value in params.items()}


def test_epochs_params_metrics_and_artifacts_go_to_the_active_run(tracking, tmp_path) -> None:
    uri, experiment = tracking
    png = tmp_path / "val.png"
    png.write_bytes(b"not really a png")
    card = tmp_path / "card.md"
    card.write_text("# card\n")
    with mlflow.start_run(experiment_id=experiment) as run:
        log_epoch({"epoch": 1, "train_loss": 0.9, "val_macro_f1": 0.2}, prefix="lr_0.001/")
        for epoch, loss in ((1, 0.8), (2, 0.5)):
            log_epoch({"epoch": epoch, "train_loss": loss, "val_macro_f1": 0.3})
        run_id = log_training_run({"epochs": 2, "encoder": "tiny"}, {"val_accuracy": 0.5}, {"evaluation": png})
    log_artifact(uri, run_id, card, "model_card")
    assert run_id == run.info.run_id
    client = MlflowClient(uri)
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "train_loss")] == [(1, 0.8), (2, 0.5)]
    assert [m.step for m in client.get_metric_history(run_id, "lr_0.001/train_loss")] == [1]
    data = client.get_run(run_id).data
    assert data.params == {"epochs": "2", "encoder": "tiny"} and data.metrics["val_accuracy"] == 0.5
    assert "epoch" not in data.metrics
    artifacts = {a.path for folder in ("evaluation", "model_card") for a in client.list_artifacts(run_id, folder)}
    assert artifacts == {"evaluation/val.png", "model_card/card.md"}


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


def test_tracked_run_creates_the_experiment_and_ends_the_run_failed_on_an_error(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with tracked_run(
        uri, "stage-test", tmp_path / "artifacts", "dvc-train", {"emotion_platform/trigger": "dvc-train"}
    ) as run_id:
        assert mlflow.active_run().info.run_id == run_id
    with pytest.raises(RuntimeError), tracked_run(uri, "stage-test", tmp_path / "artifacts", "dvc-train", {}) as failed:
        raise RuntimeError("training failed")
    assert mlflow.active_run() is None
    client = MlflowClient(uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "dvc-train"
    assert run.data.tags["emotion_platform/trigger"] == "dvc-train"
    assert client.get_run(failed).info.status == "FAILED"
    experiment = client.get_experiment_by_name("stage-test")
    assert experiment.artifact_location == (tmp_path / "artifacts").resolve().as_uri()
