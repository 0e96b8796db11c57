"""The Dagster code location: every asset, check, job, sensor and resource of the platform."""

from __future__ import annotations

from typing import Any

import dagster as dg

from emotion_platform.assets.datasets.assets import labelled_datasets
from emotion_platform.assets.drift.assets import DRIFT_ASSETS
from emotion_platform.assets.drift.jobs import drift_job, drift_report_schedule
from emotion_platform.assets.drift.resources import DriftMonitorResource
from emotion_platform.assets.drift.sensors import build_drift_retraining_sensor
from emotion_platform.assets.features.assets import features
from emotion_platform.assets.media.assets import media
from emotion_platform.assets.media.sensors import build_inbox_sensor
from emotion_platform.assets.models.assets import TRAINING_ASSETS, TRAINING_CHECKS
from emotion_platform.assets.models.reviewed import ReviewStoreResource, reviewed_labels
from emotion_platform.assets.predictions.assets import media_emotions, segment_emotions
from emotion_platform.assets.serving.assets import SERVING_ASSETS, BentoStoreResource, default_bentoml_home
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.deployment import build_executor
from emotion_platform.jobs import media_pipeline_job, prediction_job, training_job
from emotion_platform.loggers import platform_console_logger
from emotion_platform.resources import (
    PARQUET_IO_MANAGER,
    RECORD_IO_MANAGER,
    ParquetIOManager,
    RecordIOManager,
    StorageResource,
    TranscriberResource,
)
from emotion_platform.resources.mlflow import (
    ChampionModelResource,
    DatasetsResource,
    ModelRegistryResource,
    PromotionPolicyResource,
    mlflow_tracking_resource,
)
from emotion_platform.serving.service_settings import ServingSettings
from emotion_platform.settings import PlatformSettings, get_settings


def build_resources(settings: PlatformSettings) -> dict[str, Any]:
    """Resources for a deployment, from its settings (env vars for the local and scale profiles)."""
    return {
        "storage": StorageResource(
            root=str(settings.data_dir), inbox=str(settings.inbox), **settings.media.model_dump()
        ),
        PARQUET_IO_MANAGER: ParquetIOManager(root=str(settings.data_dir)),
        RECORD_IO_MANAGER: RecordIOManager(root=str(settings.data_dir)),
        "transcriber": TranscriberResource(
            backend=settings.transcriber_backend,
            model=settings.whisper_model,
            device=settings.device,
            cache_dir=str(settings.cache_dir),
        ),
        "datasets": DatasetsResource(
            root=str(settings.datasets_dir),
            feature_cache=str(settings.cache_dir / "features"),
            model_cache=str(settings.cache_dir),
        ),
        "mlflow": mlflow_tracking_resource.configured(
            {
                "experiment_name": settings.mlflow_experiment,
                "mlflow_tracking_uri": settings.tracking_uri,
                "artifact_root": settings.experiment_artifact_root,
            }
        ),
        "model_registry": ModelRegistryResource(
            tracking_uri=settings.tracking_uri, model_name=settings.registered_model
        ),
        "promotion_policy": PromotionPolicyResource(),
        "champion": ChampionModelResource(tracking_uri=settings.tracking_uri, model_name=settings.registered_model),
        "bento_store": BentoStoreResource(home=default_bentoml_home()),
        "review_store": ReviewStoreResource(url=ServingSettings().history_url()),
        "drift_monitor": DriftMonitorResource(
            tracking_uri=settings.tracking_uri, artifact_root=str(settings.mlflow_artifact_root)
        ),
    }


def build_definitions(settings: PlatformSettings) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            media,
            transcripts,
            features,
            segment_emotions,
            media_emotions,
            labelled_datasets,
            reviewed_labels,
            *TRAINING_ASSETS,
            *DRIFT_ASSETS,
            *SERVING_ASSETS,
        ],
        asset_checks=TRAINING_CHECKS,
        jobs=[media_pipeline_job, prediction_job, training_job, drift_job],
        sensors=[
            build_inbox_sensor(media_pipeline_job, recovery_attempts=settings.recovery_attempts),
            build_drift_retraining_sensor(training_job),
        ],
        schedules=[drift_report_schedule],
        resources=build_resources(settings),
        executor=build_executor(settings),
        loggers={"console": platform_console_logger},
    )


defs = build_definitions(get_settings())
