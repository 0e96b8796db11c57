"""``emotion_model``: the candidate, trained, tracked as one MLflow run (tagged with the Dagster run id)
and registered as one model version (:func:`emotion_platform.lib.model_runs.train_and_register`)."""

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_mlflow.resources import MlFlow

from emotion_platform.assets.models.run_config import TextModelConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.assets.progress import run_log_progress
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib.model_runs import CandidateRecord, RegisteredCandidate, train_and_register
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource
from emotion_platform.resources.record_io import stored_at
from emotion_platform.serving.packaging import pip_requirements

# The registered model's environment: the service's packages at the lock's versions, and this package.
MODEL_PIP_REQUIREMENTS = [*pip_requirements("torch", "transformers", "pandas"), "emotion_platform"]
# Where the record IO manager keeps the candidate's record (models/candidate.json is the DVC train stage's).
CANDIDATE_RECORD_FILE = "models/records/candidate.json"


def model_metadata(trained: RegisteredCandidate) -> dict:
    """``emotion_model``'s materialization metadata (the DVC ``train`` stage reports the same)."""
    candidate, record = trained.candidate, trained.record()
    speech = candidate.speech_validation
    return {
        "version": record.version,
        "mlflow_run_id": record.mlflow_run_id,
        "best_epoch": candidate.text.best_epoch,
        "train_seconds": round(candidate.text.train_seconds, 1),
        "train_examples": candidate.train_examples,
        "speech_train_examples": candidate.speech_train_examples,
        "fusion": record.fusion,
        **{f"val_{k}": round(v, 4) for k, v in record.validation.items()},
        **{f"val_speech_{k}": round(speech[k], 4) for k in ("accuracy", "uar") if speech},
        "curves": dg.MetadataValue.md(table_md(candidate.curves.set_index("epoch").round(4))),
    }


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"pytorch", "sklearn", "mlflow"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(CANDIDATE_RECORD_FILE),
)
def emotion_model(
    context: dg.AssetExecutionContext,
    config: TextModelConfig,
    splits: pd.DataFrame,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    mlflow: dg.ResourceParam[MlFlow],  # starts the run the candidate is tracked in
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[CandidateRecord]:
    """The candidate: MiniLM fine-tuned on text, a speech branch on Whisper's encoder, and their fusion
    (fitted on what the transcriber hears in each recording, cached per clip).

    Tracked as one MLflow run (tagged with the Dagster run id) and registered as one model version.
    """
    with run_log_progress(context):  # live in the run log; a warning when it stalls
        trained = train_and_register(
            splits,
            config.plan(),
            Path(storage.root) / "models" / "bundles" / context.run.run_id,
            model_registry.registry,
            MODEL_PIP_REQUIREMENTS,
            Path(datasets.feature_cache),
            Path(datasets.model_cache),
            transcriber=transcriber.clip_transcriber,
            log=context.log.info,
        )
    return dg.MaterializeResult(value=trained.record(), metadata=model_metadata(trained))
