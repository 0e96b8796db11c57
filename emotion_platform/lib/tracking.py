"""MLflow: experiments with a local artifact root, what a training run logs, the pyfunc wrapper, and
the champion registry.

Models are referred to by alias, never by stage: ``models:/<name>@champion`` is the approved model,
``@previous-champion`` the one it replaced (what :func:`ModelRegistry.rollback` restores).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities import Metric, Param
from mlflow.pyfunc import PythonModel
from mlflow.tracking import MlflowClient

from emotion_platform.lib.errors import NoChampion
from emotion_platform.lib.labels import EMOTIONS

CHAMPION = "champion"
PREVIOUS = "previous-champion"
BATCH_METRICS, BATCH_PARAMS = 1000, 100  # MLflow's limits per log_batch call


def ensure_experiment(tracking_uri: str, name: str, artifact_root: Path | str | None) -> str:
    """The experiment id of ``name``, created with its artifacts under ``artifact_root`` if new.

    ``artifact_root`` is a local folder, a URI such as ``s3://bucket/mlflow`` (object storage), or None:
    a tracking server's own artifact store.
    """
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    if artifact_root is None:
        return client.create_experiment(name)
    if isinstance(artifact_root, str) and "://" in artifact_root:
        return client.create_experiment(name, artifact_location=artifact_root)
    folder = Path(artifact_root)
    folder.mkdir(parents=True, exist_ok=True)
    return client.create_experiment(name, artifact_location=folder.resolve().as_uri())


@contextmanager
def tracked_run(
    tracking_uri: str, experiment: str, artifact_root: Path | str | None, run_name: str, tags: Mapping[str, str]
) -> Iterator[str]:
    """An active MLflow run (its id) in ``experiment``, ended on leaving (FAILED on an error): what
    dagster-mlflow's resource and its end-of-run hook do around a Dagster run, for work outside one."""
    ensure_experiment(tracking_uri, experiment, artifact_root)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name, tags=dict(tags)) as run:
        yield run.info.run_id


def log_batch(
    run_id: str,
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, object] | None = None,
    tracking_uri: str | None = None,
    step: int = 0,
) -> None:
    """Add many metrics and params to a run (active or finished) in as few calls as MLflow allows."""
    client = MlflowClient(tracking_uri)
    now = int(time.time() * 1000)
    metric_rows = [Metric(key, float(value), now, step) for key, value in (metrics or {}).items()]
    param_rows = [Param(key, str(value)) for key, value in (params or {}).items()]
    for start in range(0, len(metric_rows), BATCH_METRICS):
        client.log_batch(run_id, metrics=metric_rows[start : start + BATCH_METRICS])
    for start in range(0, len(param_rows), BATCH_PARAMS):
        client.log_batch(run_id, params=param_rows[start : start + BATCH_PARAMS])


def _active_run_id() -> str:
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run: call this inside mlflow.start_run()")
    return run.info.run_id


def log_epoch(row: Mapping[str, float], prefix: str = "") -> None:
    """One epoch's row of training history as metrics of the active run, at step ``row["epoch"]``."""
    metrics = {f"{prefix}{key}": value for key, value in row.items() if key != "epoch"}
    log_batch(_active_run_id(), metrics, step=int(row["epoch"]))


def log_training_run(
    params: Mapping[str, object], metrics: Mapping[str, float], artifacts: Mapping[str, Path] | None = None
) -> str:
    """The active run's params, metrics and artifacts (``{folder: file}``); returns the run's id."""
    run_id = _active_run_id()
    log_batch(run_id, metrics, params)
    for folder, path in (artifacts or {}).items():
        mlflow.log_artifact(str(path), artifact_path=folder)
    return run_id


def log_artifact(tracking_uri: str, run_id: str, path: Path, folder: str) -> None:
    """Add a file to a run (active or finished), under ``folder`` of its artifacts."""
    MlflowClient(tracking_uri).log_artifact(run_id, str(path), artifact_path=folder)


class EmotionModelPyfunc(PythonModel):
    """pyfunc flavour of an emotion bundle. ``predict``: DataFrame(text[, context]) -> probabilities
    (the text branch; media go through :meth:`EmotionBundle.predict_segments`)."""

    def load_context(self, context) -> None:
        from emotion_platform.lib.bundle import EmotionBundle

        self.bundle_dir = Path(context.artifacts["bundle"])
        self.bundle = EmotionBundle.load(self.bundle_dir)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        texts = model_input["text"].astype(str).tolist()
        contexts = model_input["context"].astype(str).tolist() if "context" in model_input else None
        return pd.DataFrame(self.bundle.text.predict_proba(texts, contexts), columns=list(EMOTIONS))


def download_registered_bundle(tracking_uri: str, model_uri: str) -> Path:
    """The bundle folder behind a registry URI such as ``models:/emotion-model@champion``, downloaded
    to a local temporary folder, not loaded (the pyfunc's ``bundle`` artifact, found through its MLmodel)."""
    from mlflow.models import Model

    mlflow.set_registry_uri(tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))
    flavor = Model.load(str(local / "MLmodel")).flavors["python_function"]
    return local / flavor["artifacts"]["bundle"]["path"]


def load_registered_bundle(tracking_uri: str, model_uri: str, device: str = "cpu"):
    """The :class:`EmotionBundle` behind a registry URI, loaded once onto ``device``, and its folder."""
    from emotion_platform.lib.bundle import EmotionBundle

    bundle_dir = download_registered_bundle(tracking_uri, model_uri)
    return EmotionBundle.load(bundle_dir, device=device), bundle_dir


def log_bundle(bundle_dir: Path, registered_name: str, pip_requirements: list[str], registry_uri: str):
    """Log the bundle folder as a pyfunc in the active run and register a new version of it in ``registry_uri``.

    The registry is named explicitly: MLflow registers through its process-wide registry URI, which
    another client in the same process may have pointed elsewhere.
    """
    mlflow.set_registry_uri(registry_uri)
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=EmotionModelPyfunc(),
        artifacts={"bundle": str(bundle_dir)},
        registered_model_name=registered_name,
        input_example=pd.DataFrame({"text": ["I can't believe it!"], "context": ["We won."]}),
        pip_requirements=pip_requirements,
    )
    return info


@dataclass
class ModelRegistry:
    """The champion/previous-champion aliases of one registered model."""

    tracking_uri: str
    name: str

    @property
    def client(self) -> MlflowClient:
        return MlflowClient(self.tracking_uri, registry_uri=self.tracking_uri)

    def version_by_alias(self, alias: str):
        try:
            return self.client.get_model_version_by_alias(self.name, alias)
        except mlflow.exceptions.MlflowException:
            return None

    def champion(self):
        return self.version_by_alias(CHAMPION)

    def require(self, alias: str, purpose: str):
        """The model version behind ``alias``; :class:`NoChampion` (saying ``purpose``: what cannot be done
        without it, and how to get one) when no version has it."""
        version = self.version_by_alias(alias)
        if version is None:
            raise NoChampion(self.name, alias, self.tracking_uri, purpose)
        return version

    def promote(self, version: str, reason: str) -> None:
        """Make ``version`` the champion; the current champion becomes previous-champion."""
        current = self.champion()
        if current is not None and str(current.version) == str(version):
            return
        if current is not None:
            self.client.set_registered_model_alias(self.name, PREVIOUS, str(current.version))
        self.client.set_registered_model_alias(self.name, CHAMPION, str(version))
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.client.set_model_version_tag(self.name, str(version), "promoted_at", now)
        self.client.set_model_version_tag(self.name, str(version), "promotion_reason", reason)

    def rollback(self) -> tuple[str, str]:
        """Swap champion and previous-champion. Returns (new champion, demoted) versions."""
        current = self.require(CHAMPION, "nothing to roll back")
        previous = self.require(PREVIOUS, "no earlier champion to roll back to")
        restored, demoted = str(previous.version), str(current.version)
        self.client.set_registered_model_alias(self.name, CHAMPION, restored)
        self.client.set_registered_model_alias(self.name, PREVIOUS, demoted)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.client.set_model_version_tag(self.name, demoted, "rolled_back_at", now)
        return restored, demoted
