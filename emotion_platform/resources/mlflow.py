"""MLflow through dagster-mlflow: one MLflow run per Dagster run, tagged with the Dagster run id.

``mlflow_tracking_resource`` is dagster-mlflow's ``mlflow_tracking`` with one addition: the
experiment is created with its artifact root under the platform's data folder (a sqlite tracking
store would otherwise put artifacts in ``./mlruns`` of whatever folder the process runs in).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_mlflow import mlflow_tracking
from dagster_mlflow.resources import MlFlow
from pydantic import Field, PrivateAttr

from emotion_platform.lib.errors import NoChampion
from emotion_platform.lib.gate import GateConfig
from emotion_platform.lib.model_fields import same_as
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment
from emotion_platform.lib.whisper.models import DEFAULT_CACHE_DIR

_MLFLOW_TRACKING_CONFIG = mlflow_tracking.config_schema.config_type
assert isinstance(_MLFLOW_TRACKING_CONFIG, dg.Shape)  # dagster-mlflow's config is a dict of fields


@dg.resource(
    config_schema={
        **_MLFLOW_TRACKING_CONFIG.fields,
        "artifact_root": dg.Field(
            dg.Noneable(str),
            is_required=False,
            default_value=None,
            description="Folder or URI for new experiments' artifacts (None: the tracking server's).",
        ),
    },
    description="dagster-mlflow's tracking resource, with a local artifact root for new experiments.",
)
def mlflow_tracking_resource(context) -> MlFlow:
    config = context.resource_config
    ensure_experiment(config["mlflow_tracking_uri"], config["experiment_name"], config["artifact_root"])
    return MlFlow(context)


class ModelRegistryResource(dg.ConfigurableResource):
    """The MLflow model registry entry of the text model: aliases champion / previous-champion."""

    tracking_uri: str = Field(description="MLflow tracking (and registry) URI.")
    model_name: str = Field(default="emotion-model", description="Registered model name.")

    @property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.tracking_uri, self.model_name)


class DatasetsResource(dg.ConfigurableResource):
    """Where the labelled datasets are read from (in place; never copied)."""

    root: str = Field(description="Folder with meld_text/, ravdess_speech/, speech_index.csv, ...")
    feature_cache: str = Field(
        description="Where features of dataset clips (speech embeddings, descriptors, "
        "spoken dialogue lines) are cached."
    )
    model_cache: str = Field(
        default=str(DEFAULT_CACHE_DIR),
        description="Where the converted Whisper weights are cached (the speech encoder).",
    )

    @property
    def path(self) -> Path:
        return Path(self.root)


class PromotionPolicyResource(dg.ConfigurableResource):
    """The promotion gate's thresholds: :class:`GateConfig`'s fields, with its defaults."""

    min_weighted_f1: float = same_as(GateConfig, "min_weighted_f1")
    max_p95_latency_ms: float = same_as(GateConfig, "max_p95_latency_ms")
    tolerance: float = same_as(GateConfig, "tolerance")

    @property
    def gate(self) -> GateConfig:
        return GateConfig(**{name: getattr(self, name) for name in GateConfig.model_fields})


class ChampionModelResource(dg.ConfigurableResource):
    """The approved emotion model (MLflow alias ``champion``), loaded once per run."""

    tracking_uri: str = Field(description="MLflow tracking (and registry) URI.")
    model_name: str = Field(default="emotion-model", description="Registered model name.")
    alias: str = Field(default="champion", description="Which alias to serve.")

    _loaded: tuple | None = PrivateAttr(default=None)

    def get(self):
        """(bundle, version) of the model behind the alias; a clear error when there is none yet."""
        if self._loaded is None:
            from emotion_platform.lib.tracking import load_registered_bundle

            try:
                version = ModelRegistry(self.tracking_uri, self.model_name).require(
                    self.alias, "nothing to predict with"
                )
            except NoChampion as error:  # a step failure with the sentence alone, not a traceback
                raise dg.Failure(str(error)) from error
            bundle, _ = load_registered_bundle(self.tracking_uri, f"models:/{self.model_name}/{version.version}")
            self._loaded = (bundle, str(version.version))
        return self._loaded
