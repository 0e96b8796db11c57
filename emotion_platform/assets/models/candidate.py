"""``emotion_model``: the candidate, trained (:func:`emotion_platform.lib.candidate.train_candidate`),
tracked as one MLflow run (tagged with the Dagster run id) and registered as one model version."""

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_mlflow.resources import MlFlow

from emotion_platform.assets.models.run_config import TextModelConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.assets.progress import run_log_progress
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib import atomic
from emotion_platform.lib.candidate import (
    Candidate,
    candidate_metrics,
    candidate_params,
    candidate_summary,
    train_candidate,
)
from emotion_platform.lib.metrics import confusion_matrix_png
from emotion_platform.lib.text_model.encoder import minilm_dir
from emotion_platform.lib.tracking import log_bundle, log_epoch, log_training_run
from emotion_platform.resources import StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource
from emotion_platform.serving.packaging import pip_requirements

# The registered model's environment: the service's packages at the lock's versions, and this package.
MODEL_PIP_REQUIREMENTS = [*pip_requirements("torch", "transformers", "pandas"), "emotion_platform"]


def _metadata(candidate: Candidate, record: dict) -> dict:
    speech = candidate.speech_validation
    return {
        "version": record["version"],
        "mlflow_run_id": record["mlflow_run_id"],
        "best_epoch": candidate.text.best_epoch,
        "train_seconds": round(candidate.text.train_seconds, 1),
        "train_examples": candidate.train_examples,
        "speech_train_examples": candidate.speech_train_examples,
        "fusion": record["fusion"],
        **{f"val_{k}": round(v, 4) for k, v in record["validation"].items()},
        **{f"val_speech_{k}": round(speech[k], 4) for k in ("accuracy", "uar") if speech},
        "curves": dg.MetadataValue.md(table_md(candidate.curves.set_index("epoch").round(4))),
    }


@dg.asset(group_name=MODELS_GROUP, kinds={"pytorch", "sklearn", "mlflow"})
def emotion_model(
    context: dg.AssetExecutionContext,
    config: TextModelConfig,
    splits: pd.DataFrame,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    mlflow: dg.ResourceParam[MlFlow],  # starts the run the candidate is tracked in
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[dict]:
    """The candidate: MiniLM fine-tuned on text, a speech branch on Whisper's encoder, and their fusion
    (fitted on what the transcriber hears in each recording, cached per clip).

    Tracked as one MLflow run (tagged with the Dagster run id) and registered as one model version.
    """
    plan = config.plan()
    base = minilm_dir() if plan.encoder == "minilm" else Path(plan.encoder)
    with run_log_progress(context):  # live in the run log; a warning when it stalls
        candidate = train_candidate(
            splits,
            plan,
            base,
            Path(datasets.feature_cache),
            Path(datasets.model_cache),
            transcriber=transcriber.clip_transcriber,
            on_epoch=log_epoch,
            log=context.log.info,
        )
    bundle_dir = Path(storage.root) / "models" / "bundles" / context.run.run_id
    with atomic.atomic_dir(bundle_dir, stage="training") as tmp:
        candidate.bundle.save(tmp)
    png = confusion_matrix_png(
        candidate.text.validation["confusion_matrix"],
        bundle_dir.parent / f"{context.run.run_id}-val.png",
        "text branch, validation",
    )
    run_id = log_training_run(candidate_params(candidate), candidate_metrics(candidate), {"evaluation": png})
    info = log_bundle(bundle_dir, model_registry.model_name, MODEL_PIP_REQUIREMENTS, model_registry.tracking_uri)
    record = {
        "bundle_dir": str(bundle_dir),
        "mlflow_run_id": run_id,
        "model_uri": info.model_uri,
        "registered_model": model_registry.model_name,
        "version": str(info.registered_model_version),
        **candidate_summary(candidate),
    }
    return dg.MaterializeResult(value=record, metadata=_metadata(candidate, record))
