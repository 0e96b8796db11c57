"""A candidate as a tracked model run: trained, saved, logged to MLflow and registered as one model
version (:func:`train_and_register`); then evaluated on the test splits, logged to the same run
(:func:`evaluate_and_log`). The one place a model run's MLflow logging happens.

Both the Dagster assets (``emotion_model``, ``model_evaluation``) and the DVC stages call these.
Training needs an active MLflow run: dagster-mlflow's ``mlflow`` resource starts it in a Dagster
run, :func:`emotion_platform.lib.tracking.tracked_run` in a DVC stage.

What the model assets hand each other are records (:class:`CandidateRecord`, :class:`EvaluationRecord`,
:class:`ChampionRecord`), stored by the record IO manager; the DVC ``train`` stage keeps the candidate's
record as ``candidate.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ConfigDict

from emotion_platform.lib import atomic
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.candidate import (
    Candidate,
    CandidatePlan,
    candidate_metrics,
    candidate_params,
    candidate_summary,
    train_candidate,
)
from emotion_platform.lib.datasets.splits import split_rows
from emotion_platform.lib.evaluation import Champion, evaluate_candidate, evaluation_metrics
from emotion_platform.lib.metrics import confusion_matrix_png
from emotion_platform.lib.records import JsonRecord
from emotion_platform.lib.speech.training import ClipTranscriber
from emotion_platform.lib.text_model.encoder import minilm_dir
from emotion_platform.lib.tracking import (
    CHAMPION,
    ModelRegistry,
    load_registered_bundle,
    log_artifact,
    log_batch,
    log_bundle,
    log_epoch,
    log_training_run,
)

TEST_SEED = 7  # the same test sample for every candidate and champion


class CandidateRecord(JsonRecord):
    """A registered candidate (``emotion_model``'s value, the DVC stage's ``candidate.json``): where its
    bundle is, its MLflow run and model version, then :func:`candidate_summary`: validation metrics,
    training data, configuration, branches (:meth:`EmotionBundle.describe`) and per-epoch curves."""

    model_config = ConfigDict(extra="forbid")  # a key candidate_summary adds must be added here

    bundle_dir: str
    mlflow_run_id: str
    model_uri: str
    registered_model: str
    version: str
    validation: dict[str, float]
    train_counts: dict[str, int]
    config: dict[str, Any]  # the text branch's training config, the speech and fusion knobs
    speech_encoder: dict[str, Any] | None  # the speech branch's encoder spec, none without one
    fusion: str
    face_model: str | None
    face_weight: float
    base_encoder: str
    curves: list[dict[str, float | int]]  # one row per epoch of the kept run (epoch, loss, scores, seconds)


class EvaluationRecord(JsonRecord):
    """``model_evaluation``'s value, what the promotion gate and the champion read: the candidate's test
    metrics, the current champion's on the same text test (none when there is no other one), the
    candidate's ``version`` and record (``model``) and the text test's size."""

    candidate: dict[str, Any]
    champion: dict[str, Any] | None
    version: str
    model: CandidateRecord
    test_examples: int


class ChampionRecord(JsonRecord):
    """``champion_model``'s value: the champion's version, its model URI (the alias) and its model card."""

    version: str
    model_uri: str
    card: str


@dataclass(frozen=True)
class RegisteredCandidate:
    """A trained candidate, where its bundle is saved, its MLflow run and its registered model version."""

    candidate: Candidate
    bundle_dir: Path
    mlflow_run_id: str
    model_uri: str
    registered_model: str
    version: str

    @property
    def summary(self) -> dict:
        return candidate_summary(self.candidate)

    def record(self) -> CandidateRecord:
        """The candidate's record (``emotion_model``'s value, ``candidate.json``): where, which run, which version."""
        return CandidateRecord(
            bundle_dir=str(self.bundle_dir),
            mlflow_run_id=self.mlflow_run_id,
            model_uri=self.model_uri,
            registered_model=self.registered_model,
            version=self.version,
            **self.summary,
        )


def train_and_register(
    splits: pd.DataFrame,
    plan: CandidatePlan,
    bundle_dir: Path,
    registry: ModelRegistry,
    pip_requirements: list[str],
    feature_cache: Path,
    model_cache: Path,
    transcriber: Callable[[], ClipTranscriber] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> RegisteredCandidate:
    """Train a candidate (:func:`train_candidate`, per-epoch metrics to the active MLflow run), save its
    bundle atomically in ``bundle_dir``, log the run's params, metrics and validation confusion matrix
    (``<bundle_dir>-val.png``), and register the bundle as a new version of ``registry.name``."""
    base = minilm_dir() if plan.encoder == "minilm" else Path(plan.encoder)
    candidate = train_candidate(
        splits, plan, base, feature_cache, model_cache, transcriber=transcriber, on_epoch=log_epoch, log=log
    )
    bundle_dir = Path(bundle_dir)
    with atomic.atomic_dir(bundle_dir, stage="training") as tmp:
        candidate.bundle.save(tmp)
    png = confusion_matrix_png(
        candidate.text.validation["confusion_matrix"],
        bundle_dir.with_name(f"{bundle_dir.name}-val.png"),
        "text branch, validation",
    )
    run_id = log_training_run(candidate_params(candidate), candidate_metrics(candidate), {"evaluation": png})
    info = log_bundle(bundle_dir, registry.name, pip_requirements, registry.tracking_uri)
    return RegisteredCandidate(
        candidate, bundle_dir, run_id, info.model_uri, registry.name, str(info.registered_model_version)
    )


def champion_to_compare(registry: ModelRegistry, candidate_version: str) -> Champion | None:
    """The current champion, unless there is none or it is the candidate itself."""
    current = registry.champion()
    if current is None or str(current.version) == candidate_version:
        return None
    uri = f"models:/{registry.name}@{CHAMPION}"
    return Champion(str(current.version), lambda: load_registered_bundle(registry.tracking_uri, uri))


@dataclass(frozen=True)
class LoggedEvaluation:
    """A candidate's test evaluation (``candidate``; ``champion``: the current champion's on the same text
    test, if another one), its record (``model``), the test sizes and the confusion matrix figure."""

    candidate: dict
    champion: dict | None
    model: CandidateRecord
    test_examples: int
    speech_test_examples: int
    confusion_png: Path

    @property
    def version(self) -> str:
        return self.model.version

    def record(self) -> EvaluationRecord:
        """``model_evaluation``'s value: what the promotion gate and the champion read."""
        return EvaluationRecord(
            candidate=self.candidate,
            champion=self.champion,
            version=self.version,
            model=self.model,
            test_examples=self.test_examples,
        )


def evaluate_and_log(
    model: CandidateRecord,
    splits: pd.DataFrame,
    registry: ModelRegistry,
    feature_cache: Path,
    hears: ClipTranscriber | None,
    figures_dir: Path,
    max_test_examples: int | None = None,
    latency_examples: int = 50,
) -> LoggedEvaluation:
    """Evaluate the candidate of record ``model`` (and the current champion) on seeded samples of the test
    splits, and log the test metrics and the confusion matrix (``figures_dir/<version>-cm.png``) to its run."""
    test = split_rows(splits, "text", "test", max_test_examples, seed=TEST_SEED)
    speech_test = split_rows(splits, "speech", "test", max_test_examples, seed=TEST_SEED)
    bundle_dir = Path(model.bundle_dir)
    version = model.version
    evaluation = evaluate_candidate(
        EmotionBundle.load(bundle_dir),
        bundle_dir,
        test,
        speech_test,
        Path(feature_cache),
        hears,
        latency_examples,
        champion_to_compare(registry, version),
    )
    candidate = evaluation.candidate
    png = confusion_matrix_png(
        candidate["confusion_matrix"],
        Path(figures_dir) / f"{version}-cm.png",
        f"{model.registered_model} v{version} (text test)",
    )
    run_id = model.mlflow_run_id
    log_batch(run_id, evaluation_metrics(candidate), tracking_uri=registry.tracking_uri)
    log_artifact(registry.tracking_uri, run_id, png, "evaluation")
    return LoggedEvaluation(candidate, evaluation.champion, model, len(test), len(speech_test), png)
