"""The drift policy and where drift reports are tracked: a deployment decision, not a per-run knob."""

import dagster as dg
from pydantic import Field

from emotion_platform.lib.drift.report import DriftPolicy


class DriftMonitorResource(dg.ConfigurableResource):
    """Thresholds of the drift check and the MLflow experiment that keeps every report."""

    alpha: float = Field(
        default=0.05,
        description="Chance that a window from the reference distribution shows any "
        "drifted column (Bonferroni: each column is tested at alpha / columns).",
    )
    drift_share: float = Field(
        default=0.15, description="The drift check fails when this share of the tested columns drifts."
    )
    min_window_rows: int = Field(default=30, description="Windows with fewer segments are not judged.")
    min_column_rows: int = Field(default=20, description="A column needs this many values in the window to be tested.")
    tracking_uri: str = Field(description="MLflow tracking URI.")
    experiment: str = Field(default="emotion-platform-drift", description="MLflow experiment of the drift reports.")
    artifact_root: str = Field(description="Folder or URI for the experiment's artifacts.")

    @property
    def policy(self) -> DriftPolicy:
        return DriftPolicy(self.alpha, self.drift_share, self.min_window_rows, self.min_column_rows)
