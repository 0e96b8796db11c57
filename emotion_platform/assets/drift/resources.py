"""The drift policy and where drift reports are tracked: a deployment decision, not a per-run knob."""

import dagster as dg
from pydantic import Field

from emotion_platform.lib.drift.report import DriftPolicy
from emotion_platform.lib.model_fields import same_as


class DriftMonitorResource(dg.ConfigurableResource):
    """Thresholds of the drift check (:class:`DriftPolicy`'s, with its defaults) and the MLflow experiment
    that keeps every report."""

    alpha: float = same_as(DriftPolicy, "alpha")
    drift_share: float = same_as(DriftPolicy, "drift_share")
    min_window_rows: int = same_as(DriftPolicy, "min_rows")
    min_column_rows: int = same_as(DriftPolicy, "min_column_rows")
    tracking_uri: str = Field(description="MLflow tracking URI.")
    experiment: str = Field(default="emotion-platform-drift", description="MLflow experiment of the drift reports.")
    artifact_root: str = Field(description="Folder or URI for the experiment's artifacts.")

    @property
    def policy(self) -> DriftPolicy:
        return DriftPolicy(
            alpha=self.alpha,
            drift_share=self.drift_share,
            min_rows=self.min_window_rows,
            min_column_rows=self.min_column_rows,
        )
