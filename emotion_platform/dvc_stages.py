"""The stages of the DVC pipeline (``dvc.yaml``): prepare the training data, train a candidate, evaluate it.

Each stage materializes the platform's own Dagster assets in the deployment's instance (so the runs,
the datasets' data versions and the lineage show in the Dagster UI, and MLflow tracks the training
run), with the hyperparameters from ``params.yaml`` (:mod:`emotion_platform.params`), and writes the files DVC tracks::

    prepare   data/training/{examples,splits}.parquet          reports/data.json
    train     data/models/candidate/ (the bundle)               data/models/candidate.json (its record)
              reports/train.json  reports/training_curves.csv
    evaluate  reports/evaluation.json  reports/confusion.csv  reports/per_class_f1.csv

A stage reads its inputs from the files the previous stage wrote (DVC restores them with
``dvc pull``), not from Dagster's IO storage: ``emotion_model`` gets ``splits`` from
``data/training/splits.parquet`` (through the parquet IO manager, rooted at the stage's data folder,
which also wrote it) and ``model_evaluation`` gets the candidate from its record file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
import pandas as pd

from emotion_platform.assets.datasets.assets import labelled_datasets
from emotion_platform.assets.models.candidate import emotion_model
from emotion_platform.assets.models.evaluation import model_evaluation, promotion_gate
from emotion_platform.assets.models.training_data import EXAMPLES_FILE, SPLITS_FILE, splits, training_examples
from emotion_platform.lib import atomic
from emotion_platform.lib.errors import StepFailed
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.params import ParamsError, training_plan
from emotion_platform.params import read_params as read_training_params
from emotion_platform.resources.parquet_io import PARQUET_FILE, PARQUET_IO_MANAGER
from emotion_platform.settings import PlatformSettings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
CURVE_METRICS = ("train_loss", "val_macro_f1", "val_weighted_f1", "val_accuracy")


class StageError(StepFailed):
    """A pipeline stage cannot run or its run failed; the message says why."""


@dataclass(frozen=True)
class StagePaths:
    """Where the stages write, relative to the repository root (the folder dvc.yaml is in)."""

    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports")

    @property
    def examples(self) -> Path:
        return self.data_dir / EXAMPLES_FILE

    @property
    def splits(self) -> Path:
        return self.data_dir / SPLITS_FILE

    @property
    def model(self) -> Path:
        return self.data_dir / "models" / "candidate"

    @property
    def record(self) -> Path:
        return self.data_dir / "models" / "candidate.json"

    def report(self, name: str) -> Path:
        return self.reports_dir / name


def read_params(path: Path) -> dict:
    """The sections of ``params.yaml`` the stages read (:mod:`emotion_platform.params`); a clear error
    when one is missing or the datasets folder is not set."""
    try:
        params = read_training_params(path)
    except ParamsError as error:
        raise StageError(str(error)) from error
    if not params["datasets"].get("dir"):
        raise StageError(f"{path}: datasets.dir (the folder with the labelled datasets) is not set")
    return params


def stage_settings(settings: PlatformSettings, params: dict, paths: StagePaths) -> PlatformSettings:
    """The deployment's settings with the stage's data folder and the datasets folder from params.yaml."""
    datasets_dir = Path(params["datasets"]["dir"]).expanduser().resolve()
    if not datasets_dir.is_dir():
        raise StageError(f"datasets folder {datasets_dir} (datasets.dir in params.yaml) does not exist")
    return settings.model_copy(update={"data_dir": paths.data_dir.resolve(), "datasets_dir": datasets_dir})


class UpstreamFromFiles(dg.IOManager):
    """Hands an asset the values of upstream assets that this stage reads from DVC-tracked files."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        raise StageError(f"{context.asset_key.to_user_string()} is an input of this stage, not an output")

    def load_input(self, context: dg.InputContext) -> object:
        return self._values[context.asset_key.to_user_string()]


def _from_files(values: dict[str, object]) -> tuple[list[dg.AssetSpec], dict[str, object]]:
    specs = [dg.AssetSpec(key).with_io_manager_key("stage_inputs") for key in values]
    return specs, {"stage_inputs": dg.IOManagerDefinition.hardcoded_io_manager(UpstreamFromFiles(values))}


def _splits_from_file() -> dg.AssetSpec:
    """``splits`` as the prepare stage wrote it, loaded by the parquet IO manager from the stage's data folder."""
    return dg.AssetSpec("splits", metadata={PARQUET_FILE: SPLITS_FILE}).with_io_manager_key(PARQUET_IO_MANAGER)


def _materialize(
    assets: list,
    selection: list,
    instance: dg.DagsterInstance,
    resources: dict,
    run_config: dict,
    stage: str,
    produces: list[str],
) -> dg.ExecuteInProcessResult:
    """One in-process run in the deployment's instance; a clear error unless ``produces`` all materialized."""
    try:
        result = dg.materialize(
            assets,
            selection=selection,
            instance=instance,
            resources=resources,
            run_config={**run_config, **QUIET},
            raise_on_error=False,
            tags={"emotion_platform/trigger": f"dvc-{stage}"},
        )
    finally:
        mlflow.end_run()  # what dagster-mlflow's end_mlflow_on_run_finished hook does for jobs
    # A refused promotion gate (a blocking check that failed) is a result of the evaluation, not an error.
    failures = [e.step_failure_data.error for e in result.all_events if e.is_step_failure and e.step_failure_data.error]
    errors = [f.message.strip() for f in failures if f.cls_name != "DagsterAssetCheckFailedError"]
    missing = [name for name in produces if not result.asset_materializations_for_node(name)]
    if errors or missing:
        raise StageError(
            f"{stage}: Dagster run {result.run_id} failed: "
            f"{' | '.join(errors) or f'nothing materialized for {missing}'}"
        )
    return result


def _data_config(params: dict) -> dict:
    section = params["datasets"]
    return {k: section[k] for k in ("text_sources", "speech_sources", "seed") if k in section}


def prepare(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Observe the datasets (DVC hashes as data versions), then build the examples and the splits."""
    from emotion_platform.definitions import build_resources

    resources = build_resources(settings)
    config = {"config": _data_config(params)}
    stage_assets = [labelled_datasets, training_examples, splits]  # the observation runs first, in the same run
    result = _materialize(
        stage_assets,
        stage_assets,
        instance,
        resources,
        {"ops": {"training_examples": config, "splits": config}},
        "prepare",
        ["training_examples", "splits"],
    )
    for name, expected in (("training_examples", paths.examples), ("splits", paths.splits)):
        produced = result.asset_materializations_for_node(name)[0].metadata["file"].value
        if Path(str(produced)).resolve() != expected.resolve():
            raise StageError(f"prepare wrote {produced}, but DVC tracks {expected}")
    df = pd.read_parquet(paths.splits)
    summary = {
        "examples": len(df),
        **{f"{split}_examples": int((df["split"] == split).sum()) for split in ("train", "validation", "test")},
        **{f"{source}_examples": int(n) for source, n in df["source"].value_counts().sort_index().items()},
    }
    atomic.write_json(paths.report("data.json"), summary)
    return summary


def training_curves(record: dict) -> pd.DataFrame:
    """The candidate's per-epoch training curves (its record keeps the kept run's history)."""
    return pd.DataFrame(record["curves"], columns=["epoch", *CURVE_METRICS]).sort_values("epoch")


def train(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Train a candidate on the prepared splits; keep its bundle, record, metrics and curves."""
    from emotion_platform.definitions import build_resources

    if not paths.splits.exists():
        raise StageError(f"{paths.splits} not found: run the prepare stage first (dvc repro prepare)")
    result = _materialize(
        [_splits_from_file(), emotion_model],
        [emotion_model],
        instance,
        build_resources(settings),
        {"ops": {"emotion_model": {"config": training_plan(params).train}}},
        "train",
        ["emotion_model"],
    )
    record = dict(result.asset_value("emotion_model"))
    with atomic.atomic_dir(paths.model) as tmp:
        shutil.copytree(record["bundle_dir"], tmp, dirs_exist_ok=True)
    record["bundle_dir"] = str(paths.model)
    record["dagster_run_id"] = result.run_id
    atomic.write_json(paths.record, record)
    meta = {
        k: getattr(v, "value", v)
        for k, v in result.asset_materializations_for_node("emotion_model")[0].metadata.items()
    }
    metrics: dict[str, Any] = {
        **{f"val_{k}": round(v, 4) for k, v in record["validation"].items()},
        **{k: meta[k] for k in ("best_epoch", "train_seconds", "train_examples", "speech_train_examples")},
        **{k: meta[k] for k in ("val_speech_accuracy", "val_speech_uar") if k in meta},
    }
    atomic.write_json(paths.report("train.json"), metrics)
    curves = training_curves(record)
    with atomic.atomic_path(paths.report("training_curves.csv")) as tmp:
        curves.round(5).to_csv(tmp, index=False)
    return record


def _confusion_rows(matrix: list[list[int]]) -> pd.DataFrame:
    """One row per test example (actual, predicted): the shape of DVC's confusion-matrix plot."""
    rows = [(EMOTIONS[i], EMOTIONS[j]) for i, line in enumerate(matrix) for j, n in enumerate(line) for _ in range(n)]
    return pd.DataFrame(rows, columns=["actual", "predicted"])


def evaluate(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Evaluate the candidate on the test splits and run the promotion gate (nothing is promoted here)."""
    from emotion_platform.definitions import build_resources

    for needed in (paths.record, paths.model, paths.splits):
        if not needed.exists():
            raise StageError(f"{needed} not found: run the earlier stages first (dvc repro)")
    record = json.loads(paths.record.read_text()) | {"bundle_dir": str(paths.model.resolve())}
    specs, io = _from_files({"emotion_model": record})
    resources = build_resources(settings) | io
    result = _materialize(
        [*specs, _splits_from_file(), model_evaluation, promotion_gate],
        [model_evaluation, promotion_gate],
        instance,
        resources,
        {"ops": {"model_evaluation": {"config": training_plan(params).evaluate}}},
        "evaluate",
        ["model_evaluation"],
    )
    evaluation = result.asset_value("model_evaluation")
    candidate = evaluation["candidate"]
    gate = next(e for e in result.get_asset_check_evaluations() if e.check_name == "promotion_gate")
    metrics = {
        "test_examples": evaluation["test_examples"],
        **{k: round(candidate[k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "uar", "ece", "size_mb")},
        "latency_p50_ms": round(candidate["latency"]["p50_ms"], 2),
        "latency_p95_ms": round(candidate["latency"]["p95_ms"], 2),
        **{
            f"speech_{branch}_{k}": round(m[k], 4)
            for branch, m in candidate["speech"].items()
            for k in ("accuracy", "uar")
        },
        "gate_passed": bool(gate.passed),
    }
    atomic.write_json(paths.report("evaluation.json"), metrics)
    with atomic.atomic_path(paths.report("confusion.csv")) as tmp:
        _confusion_rows(candidate["confusion_matrix"]).to_csv(tmp, index=False)
    per_class = pd.DataFrame(
        {"emotion": list(candidate["per_class_f1"]), "f1": [round(v, 4) for v in candidate["per_class_f1"].values()]}
    )
    with atomic.atomic_path(paths.report("per_class_f1.csv")) as tmp:
        per_class.to_csv(tmp, index=False)
    return metrics | {"gate_reasons": gate.metadata["reasons"].value}
