"""Drift reports and reference profiles in MLflow: reports as runs of a drift experiment, profiles beside the model."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient

from emotion_platform.lib.drift.report import DriftSummary
from emotion_platform.lib.tracking import ensure_experiment


def log_drift_report(
    tracking_uri: str,
    experiment: str,
    artifact_root: Path | str,
    window: str,
    summary: DriftSummary,
    files: list[Path],
    tags: dict[str, str],
) -> str:
    """One MLflow run per report: the decision as metrics, the HTML/JSON as artifacts. Returns the run id."""
    client = MlflowClient(tracking_uri)
    experiment_id = ensure_experiment(tracking_uri, experiment, artifact_root)
    run = client.create_run(experiment_id, run_name=f"drift-{window}", tags={"drift_window": window, **tags})
    run_id = run.info.run_id
    try:
        client.log_metric(run_id, "rows", summary.rows)
        client.log_metric(run_id, "drifted_share", summary.drifted_share)
        client.log_metric(run_id, "drifted_columns", summary.drifted_count)
        client.log_metric(run_id, "tested_columns", summary.tested_count)
        client.log_metric(run_id, "dataset_drift", float(summary.dataset_drift))
        for name, value in summary.policy.items():
            client.log_param(run_id, name, value)
        for path in files:
            client.log_artifact(run_id, str(path), artifact_path="drift_report")
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id, status="FINISHED")
    return run_id


def log_reference(tracking_uri: str, model_name: str, version: str, folder: Path) -> str:
    """Attach a reference profile folder to the MLflow run of the model version it belongs to."""
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    run_id = client.get_model_version(model_name, str(version)).run_id
    assert run_id is not None  # the platform registers every version from a run
    client.log_artifacts(run_id, str(folder), artifact_path="drift_reference")
    return run_id
