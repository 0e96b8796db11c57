"""The stages of the DVC pipeline (``dvc.yaml``): prepare the training data, train a candidate, evaluate it.

Each stage calls the library functions the platform's Dagster assets call (same code, same resources
from the deployment's settings, same MLflow tracking and registry), with the hyperparameters from
``params.yaml`` (:mod:`emotion_platform.params`), and writes the files DVC tracks::

    prepare   data/training/{examples,splits}.parquet          reports/data.json
    train     data/models/candidate/ (the bundle)               data/models/candidate.json (its record)
              reports/train.json  reports/training_curves.csv
    evaluate  reports/evaluation.json  reports/confusion.csv  reports/per_class_f1.csv

A stage reads its inputs from the files the previous stage wrote (DVC restores them with ``dvc pull``).
No Dagster run is started: what a stage produced is reported to the deployment's Dagster instance
(:mod:`emotion_platform.dvc_lineage`), so the datasets' DVC hashes, the outputs and their lineage
show in the Dagster UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from emotion_platform.assets.datasets.assets import (
    DATASET_PATHS,
    dataset_key,
    dataset_metadata,
    missing_datasets,
)
from emotion_platform.assets.models.candidate import MODEL_PIP_REQUIREMENTS, emotion_model, model_metadata
from emotion_platform.assets.models.evaluation import (
    evaluation_metadata,
    gate_metadata,
    model_evaluation,
    promotion_gate,
)
from emotion_platform.assets.models.reviewed import reviewed_labels_path
from emotion_platform.assets.models.run_config import EvaluationConfig, TextModelConfig, TrainingDataConfig
from emotion_platform.assets.models.training_data import (
    EXAMPLES_FILE,
    SPLITS_FILE,
    examples_metadata,
    splits,
    splits_metadata,
    training_examples,
)
from emotion_platform.dvc_lineage import StageEvents, trigger
from emotion_platform.lib import atomic
from emotion_platform.lib.content_hash import dvc_content_hash
from emotion_platform.lib.datasets.examples import build_training_examples
from emotion_platform.lib.datasets.splits import SpeakerLeak, split_examples
from emotion_platform.lib.errors import StepFailed
from emotion_platform.lib.gate import decide
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.model_runs import CandidateRecord, evaluate_and_log, train_and_register
from emotion_platform.lib.tracking import tracked_run
from emotion_platform.params import ParamsError, training_plan
from emotion_platform.params import read_params as read_training_params
from emotion_platform.settings import PlatformSettings

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


def _resources(settings: PlatformSettings) -> dict[str, Any]:
    """The resources the assets get in this deployment: where their arguments come from here too."""
    from emotion_platform.definitions import build_resources

    return build_resources(settings)


def _file(path: Path) -> dict:
    return {"file": dg.MetadataValue.path(str(path.resolve()))}  # what the parquet IO manager records


def _data_config(params: dict) -> dict:
    section = params["datasets"]
    return {k: section[k] for k in ("text_sources", "speech_sources", "seed") if k in section}


def prepare(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Observe the datasets (DVC hashes as data versions), then build the examples and the splits."""
    resources = _resources(settings)
    root = resources["datasets"].path
    missing = missing_datasets(root)
    if missing:
        raise StageError(f"prepare: {missing}")
    events = StageEvents(instance, "prepare")
    for name in DATASET_PATHS:
        digest = dvc_content_hash(root / name)
        events.observe(dataset_key(name), digest.md5, dataset_metadata(root, name, digest))
    config = TrainingDataConfig(**_data_config(params))
    reviewed = reviewed_labels_path(resources["storage"])
    examples = build_training_examples(root, config.text_sources, config.speech_sources, reviewed)
    atomic.write_parquet(paths.examples, examples.table)  # as the parquet IO manager writes it
    events.materialize(training_examples, paths.examples, examples_metadata(examples, config) | _file(paths.examples))
    try:  # from the file, as the splits asset reads its input
        df = split_examples(pd.read_parquet(paths.examples), seed=config.seed)
    except SpeakerLeak as error:
        raise StageError(f"prepare: {error}") from error
    atomic.write_parquet(paths.splits, df)
    events.materialize(splits, paths.splits, splits_metadata(df, config.seed) | _file(paths.splits))
    summary = {
        "examples": len(df),
        **{f"{split}_examples": int((df["split"] == split).sum()) for split in ("train", "validation", "test")},
        **{f"{source}_examples": int(n) for source, n in df["source"].value_counts().sort_index().items()},
    }
    atomic.write_json(paths.report("data.json"), summary)
    return summary


def training_curves(curves: list[dict]) -> pd.DataFrame:
    """The candidate's per-epoch training curves (``curves``: its record's rows of the kept run's history)."""
    return pd.DataFrame(curves, columns=["epoch", *CURVE_METRICS]).sort_values("epoch")


def train(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Train a candidate on the prepared splits (one MLflow run, one registered model version); keep its
    bundle, record, metrics and curves."""
    if not paths.splits.exists():
        raise StageError(f"{paths.splits} not found: run the prepare stage first (dvc repro prepare)")
    resources = _resources(settings)
    datasets = resources["datasets"]
    plan = TextModelConfig(**training_plan(params).train).plan()
    tracking = (settings.tracking_uri, settings.mlflow_experiment, settings.experiment_artifact_root)
    with tracked_run(*tracking, run_name="dvc-train", tags=trigger("train")):
        trained = train_and_register(
            pd.read_parquet(paths.splits),
            plan,
            paths.model,
            resources["model_registry"].registry,
            MODEL_PIP_REQUIREMENTS,
            Path(datasets.feature_cache),
            Path(datasets.model_cache),
            transcriber=resources["transcriber"].clip_transcriber,
        )
    record = trained.record()
    record.save(paths.record)
    meta = model_metadata(trained)
    metrics: dict[str, Any] = {
        **{f"val_{k}": round(v, 4) for k, v in record.validation.items()},
        **{k: meta[k] for k in ("best_epoch", "train_seconds", "train_examples", "speech_train_examples")},
        **{k: meta[k] for k in ("val_speech_accuracy", "val_speech_uar") if k in meta},
    }
    atomic.write_json(paths.report("train.json"), metrics)
    curves = training_curves(record.curves)
    with atomic.atomic_path(paths.report("training_curves.csv")) as tmp:
        curves.round(5).to_csv(tmp, index=False)
    StageEvents(instance, "train").materialize(emotion_model, paths.model, meta)
    return record.model_dump()


def _confusion_rows(matrix: list[list[int]]) -> pd.DataFrame:
    """One row per test example (actual, predicted): the shape of DVC's confusion-matrix plot."""
    rows = [(EMOTIONS[i], EMOTIONS[j]) for i, line in enumerate(matrix) for j, n in enumerate(line) for _ in range(n)]
    return pd.DataFrame(rows, columns=["actual", "predicted"])


def evaluate(settings: PlatformSettings, params: dict, instance: dg.DagsterInstance, paths: StagePaths) -> dict:
    """Evaluate the candidate on the test splits and run the promotion gate (nothing is promoted here)."""
    for needed in (paths.record, paths.model, paths.splits):
        if not needed.exists():
            raise StageError(f"{needed} not found: run the earlier stages first (dvc repro)")
    resources = _resources(settings)
    config = EvaluationConfig(**training_plan(params).evaluate)
    record = CandidateRecord.load(paths.record).model_copy(update={"bundle_dir": str(paths.model.resolve())})
    evaluation = evaluate_and_log(
        record,
        pd.read_parquet(paths.splits),
        resources["model_registry"].registry,
        Path(resources["datasets"].feature_cache),
        resources["transcriber"].clip_transcriber(),
        Path(resources["storage"].root) / "models" / "evaluation",
        config.max_test_examples,
        config.latency_examples,
    )
    candidate = evaluation.candidate
    gate = decide(candidate, evaluation.champion, resources["promotion_policy"].gate)
    metrics = {
        "test_examples": evaluation.test_examples,
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
    events = StageEvents(instance, "evaluate")
    events.materialize(model_evaluation, paths.report("evaluation.json"), evaluation_metadata(evaluation))
    events.check(model_evaluation, promotion_gate.check_key.name, gate.passed, gate_metadata(evaluation.version, gate))
    return metrics | {"gate_reasons": "; ".join(gate.reasons)}
