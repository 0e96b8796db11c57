"""``model_evaluation`` and its blocking check ``promotion_gate``: the candidate (and the current champion)
on the test splits, logged to its MLflow run (:func:`emotion_platform.lib.model_runs.evaluate_and_log`)."""

from pathlib import Path

import dagster as dg
import pandas as pd

from emotion_platform.assets.models.run_config import EvaluationConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.assets.progress import run_log_progress
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib.evaluation import SPEECH_KEYS
from emotion_platform.lib.gate import GateDecision, decide
from emotion_platform.lib.model_runs import CandidateRecord, EvaluationRecord, LoggedEvaluation, evaluate_and_log
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource, PromotionPolicyResource
from emotion_platform.resources.record_io import stored_at

EVALUATION_RECORD_FILE = "models/records/evaluation.json"  # where the record IO manager keeps the evaluation


def evaluation_metadata(evaluation: LoggedEvaluation) -> dict:
    """``model_evaluation``'s materialization metadata (the DVC ``evaluate`` stage reports the same)."""
    candidate, champion = evaluation.candidate, evaluation.champion
    per_class = pd.DataFrame({"f1": candidate["per_class_f1"]}).round(3)
    speech = pd.DataFrame(candidate["speech"]).T[list(SPEECH_KEYS)].round(4) if candidate["speech"] else None
    return {
        "version": evaluation.version,
        "test_examples": evaluation.test_examples,
        "speech_test_examples": evaluation.speech_test_examples,
        **{k: round(candidate[k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "uar", "ece")},
        "ece_uncalibrated": round(candidate["ece_uncalibrated"], 4),
        "latency_p50_ms": round(candidate["latency"]["p50_ms"], 2),
        "latency_p95_ms": round(candidate["latency"]["p95_ms"], 2),
        "size_mb": round(candidate["size_mb"], 1),
        "per_class_f1": dg.MetadataValue.md(table_md(per_class)),
        "speech_branches": dg.MetadataValue.md(table_md(speech) if speech is not None else "no speech test"),
        "confusion_matrix": dg.MetadataValue.path(str(evaluation.confusion_png)),
        "champion_version": champion["version"] if champion else "none",
        "champion_weighted_f1": round(champion["weighted_f1"], 4) if champion else float("nan"),
    }


def gate_metadata(version: str, decision: GateDecision) -> dict:
    """``promotion_gate``'s metadata (the DVC ``evaluate`` stage reports the same)."""
    return {
        "version": version,
        "reasons": "; ".join(decision.reasons),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in decision.evidence.items()},
    }


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"mlflow"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(EVALUATION_RECORD_FILE),
)
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    emotion_model: CandidateRecord,
    splits: pd.DataFrame,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[EvaluationRecord]:
    """Candidate (and current champion) on the test splits: F1s, calibration, CPU latency, size, per branch."""
    with run_log_progress(context):
        evaluation = evaluate_and_log(
            emotion_model,
            splits,
            model_registry.registry,
            Path(datasets.feature_cache),
            transcriber.clip_transcriber(),
            Path(storage.root) / "models" / "evaluation",
            config.max_test_examples,
            config.latency_examples,
        )
    return dg.MaterializeResult(value=evaluation.record(), metadata=evaluation_metadata(evaluation))


@dg.asset_check(asset=model_evaluation, blocking=True, description="Quality floor, latency SLO, no regression.")
def promotion_gate(
    model_evaluation: EvaluationRecord, promotion_policy: PromotionPolicyResource
) -> dg.AssetCheckResult:
    """May the candidate replace the champion? Blocks ``champion_model`` when not."""
    decision = decide(model_evaluation.candidate, model_evaluation.champion, promotion_policy.gate)
    return dg.AssetCheckResult(passed=decision.passed, metadata=gate_metadata(model_evaluation.version, decision))
