"""``model_evaluation`` and its blocking check ``promotion_gate``: the candidate (and the current champion)
on the test splits (:func:`emotion_platform.lib.evaluation.evaluate_candidate`), logged to its MLflow run."""

from pathlib import Path

import dagster as dg
import pandas as pd

from emotion_platform.assets.models.run_config import EvaluationConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.assets.progress import run_log_progress
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.splits import split_rows
from emotion_platform.lib.evaluation import SPEECH_KEYS, Champion, evaluate_candidate, evaluation_metrics
from emotion_platform.lib.gate import decide
from emotion_platform.lib.metrics import confusion_matrix_png
from emotion_platform.lib.tracking import CHAMPION, load_registered_bundle, log_artifact, log_batch
from emotion_platform.resources import StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource, PromotionPolicyResource

TEST_SEED = 7  # the same test sample for every candidate and champion


def champion_to_compare(model_registry: ModelRegistryResource, candidate_version: str) -> Champion | None:
    """The current champion, unless there is none or it is the candidate itself."""
    current = model_registry.registry.champion()
    if current is None or str(current.version) == candidate_version:
        return None
    uri = f"models:/{model_registry.model_name}@{CHAMPION}"
    return Champion(str(current.version), lambda: load_registered_bundle(model_registry.tracking_uri, uri))


def _metadata(record: dict, speech_test_examples: int, png: Path) -> dict:
    candidate, champion = record["candidate"], record["champion"]
    per_class = pd.DataFrame({"f1": candidate["per_class_f1"]}).round(3)
    speech = pd.DataFrame(candidate["speech"]).T[list(SPEECH_KEYS)].round(4) if candidate["speech"] else None
    return {
        "version": record["version"],
        "test_examples": record["test_examples"],
        "speech_test_examples": speech_test_examples,
        **{k: round(candidate[k], 4) for k in ("accuracy", "macro_f1", "weighted_f1", "uar", "ece")},
        "ece_uncalibrated": round(candidate["ece_uncalibrated"], 4),
        "latency_p50_ms": round(candidate["latency"]["p50_ms"], 2),
        "latency_p95_ms": round(candidate["latency"]["p95_ms"], 2),
        "size_mb": round(candidate["size_mb"], 1),
        "per_class_f1": dg.MetadataValue.md(table_md(per_class)),
        "speech_branches": dg.MetadataValue.md(table_md(speech) if speech is not None else "no speech test"),
        "confusion_matrix": dg.MetadataValue.path(str(png)),
        "champion_version": champion["version"] if champion else "none",
        "champion_weighted_f1": round(champion["weighted_f1"], 4) if champion else float("nan"),
    }


@dg.asset(group_name=MODELS_GROUP, kinds={"mlflow"})
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    emotion_model: dict,
    splits: pd.DataFrame,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[dict]:
    """Candidate (and current champion) on the test splits: F1s, calibration, CPU latency, size, per branch."""
    test = split_rows(splits, "text", "test", config.max_test_examples, seed=TEST_SEED)
    speech_test = split_rows(splits, "speech", "test", config.max_test_examples, seed=TEST_SEED)
    bundle_dir = Path(emotion_model["bundle_dir"])
    bundle = EmotionBundle.load(bundle_dir)
    champion = champion_to_compare(model_registry, emotion_model["version"])
    with run_log_progress(context):
        evaluation = evaluate_candidate(
            bundle,
            bundle_dir,
            test,
            speech_test,
            Path(datasets.feature_cache),
            transcriber.clip_transcriber(),
            config.latency_examples,
            champion,
        )
    candidate = evaluation.candidate
    png = confusion_matrix_png(
        candidate["confusion_matrix"],
        Path(storage.root) / "models" / "evaluation" / f"{emotion_model['version']}-cm.png",
        f"{emotion_model['registered_model']} v{emotion_model['version']} (text test)",
    )
    run_id = emotion_model["mlflow_run_id"]
    log_batch(run_id, evaluation_metrics(candidate), tracking_uri=model_registry.tracking_uri)
    log_artifact(model_registry.tracking_uri, run_id, png, "evaluation")
    record = {
        "candidate": candidate,
        "champion": evaluation.champion,
        "version": emotion_model["version"],
        "model": emotion_model,
        "test_examples": len(test),
    }
    return dg.MaterializeResult(value=record, metadata=_metadata(record, len(speech_test), png))


@dg.asset_check(asset=model_evaluation, blocking=True, description="Quality floor, latency SLO, no regression.")
def promotion_gate(model_evaluation: dict, promotion_policy: PromotionPolicyResource) -> dg.AssetCheckResult:
    """May the candidate replace the champion? Blocks ``champion_model`` when not."""
    decision = decide(model_evaluation["candidate"], model_evaluation["champion"], promotion_policy.gate)
    return dg.AssetCheckResult(
        passed=decision.passed,
        metadata={
            "version": model_evaluation["version"],
            "reasons": "; ".join(decision.reasons),
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in decision.evidence.items()},
        },
    )
