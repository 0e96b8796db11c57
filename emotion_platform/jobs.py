"""Jobs: named selections of assets that sensors and people launch."""

import dagster as dg
from dagster_mlflow import end_mlflow_on_run_finished

media_pipeline_job = dg.define_asset_job(
    name="media_pipeline",
    selection=dg.AssetSelection.groups("media", "transcripts"),
    description="Decode and transcribe one media file (one partition).",
)

training_job = dg.define_asset_job(
    name="train_and_promote",
    selection=dg.AssetSelection.groups("models"),
    hooks={end_mlflow_on_run_finished},
    description="Build the training data, train a candidate, evaluate it, and promote it if the gate passes.",
)

prediction_job = dg.define_asset_job(
    name="predict_media",
    selection=dg.AssetSelection.groups("features", "predictions"),
    description="Features, segment and file-level emotions of one media file (one partition) from the champion.",
)
