"""The drift decision: an Evidently data-drift report of a window against the reference, and its numbers.

Statistics (:class:`DriftPolicy`):

* every column gets a two-sample test with a p-value: Kolmogorov-Smirnov for numbers, a chi-squared
  test of homogeneity for the predicted label (:mod:`.stattests`); the tests are pinned, so a large
  reference does not silently switch Evidently to distance measures with other thresholds;
* Bonferroni correction: each of the m tested columns drifts at p < alpha / m, so a window drawn from
  the reference distribution shows *any* drifted column with probability at most alpha;
* the window drifts when the share of drifted columns reaches ``drift_share`` (counted from the
  per-column ``ValueDrift`` results of :class:`~.preset.ColumnDriftPreset`);
* windows under ``min_rows`` rows are not judged, and a column with under ``min_column_rows`` values
  in the window (e.g. acoustic columns of text-only rows) is left out of the tests.

:func:`run_drift_report` builds the report, :func:`summarize` extracts the decision and per-column numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from pydantic import BaseModel, ConfigDict, Field, model_validator

from emotion_platform.lib.drift.columns import CATEGORICAL_COLUMNS
from emotion_platform.lib.drift.preset import ColumnDriftPreset
from emotion_platform.lib.drift.stattests import CHI2_TWO_SAMPLE

NUMERIC_TEST = "ks"


class DriftPolicy(BaseModel):
    """When a window of segments counts as drifted from the reference."""

    model_config = ConfigDict(frozen=True)

    alpha: float = Field(
        0.05,
        description="Chance that a window from the reference distribution shows any "
        "drifted column (Bonferroni: each column is tested at alpha / columns).",
    )
    drift_share: float = Field(0.15, description="The drift check fails when this share of the tested columns drifts.")
    min_rows: int = Field(30, description="Windows with fewer segments are not judged.")
    min_column_rows: int = Field(20, description="A column needs this many values in the window to be tested.")

    @model_validator(mode="after")
    def _shares_in_range(self) -> DriftPolicy:
        if not 0 < self.alpha < 1 or not 0 < self.drift_share <= 1:
            raise ValueError(f"alpha and drift_share must be in (0, 1): {self.alpha}, {self.drift_share}")
        return self


@dataclass
class DriftSummary:
    """What a report concluded, in plain numbers (JSON-able)."""

    rows: int
    reference_rows: int
    evaluated: bool
    dataset_drift: bool
    drifted_count: int
    tested_count: int
    drifted_share: float
    per_column_threshold: float
    policy: dict
    drifted_columns: list[str] = field(default_factory=list)
    columns: list[dict] = field(default_factory=list)
    untested: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> pd.DataFrame:
        """Per-column evidence, drifted first, then by p-value."""
        if not self.columns:
            return pd.DataFrame(columns=["column", "test", "p_value", "threshold", "drifted"])
        return pd.DataFrame(self.columns).sort_values(["drifted", "p_value"], ascending=[False, True])


def columns_to_test(
    reference: pd.DataFrame, current: pd.DataFrame, policy: DriftPolicy
) -> tuple[list[str], dict[str, str]]:
    """Columns with enough values on both sides, and why the others are left out."""
    tested, untested = [], {}
    for column in reference.columns:
        if column not in current.columns:
            untested[column] = "missing in the window"
        elif current[column].notna().sum() < policy.min_column_rows:
            untested[column] = f"{int(current[column].notna().sum())} values in the window (< {policy.min_column_rows})"
        elif reference[column].notna().sum() < policy.min_column_rows:
            untested[column] = f"{int(reference[column].notna().sum())} values in the reference"
        elif (
            reference[column].nunique() < 2
            and current[column].nunique() < 2
            and set(reference[column].dropna()) == set(current[column].dropna())
        ):
            untested[column] = "one constant value on both sides"
        else:
            tested.append(column)
    return tested, untested


def run_drift_report(reference: pd.DataFrame, current: pd.DataFrame, policy: DriftPolicy, columns: list[str]):
    """The Evidently snapshot (``.save_html``/``.dict``) of ``current`` against ``reference`` on ``columns``."""
    if not columns:
        raise ValueError("no column to test")
    categorical = [c for c in columns if c in CATEGORICAL_COLUMNS]
    numerical = [c for c in columns if c not in CATEGORICAL_COLUMNS]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    preset = ColumnDriftPreset(
        columns=columns,
        drift_share=policy.drift_share,
        num_method=NUMERIC_TEST,
        cat_method=CHI2_TWO_SAMPLE,
        threshold=policy.alpha / len(columns),
    )
    return Report([preset]).run(
        current_data=Dataset.from_pandas(current[columns].reset_index(drop=True), data_definition=definition),
        reference_data=Dataset.from_pandas(reference[columns].reset_index(drop=True), data_definition=definition),
    )


def summarize(
    snapshot, policy: DriftPolicy, rows: int, reference_rows: int, untested: dict[str, str] | None = None
) -> DriftSummary:
    """The decision and the per-column p-values of a snapshot made by :func:`run_drift_report`."""
    per_column = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config["type"].endswith("ValueDrift"):
            continue
        p_value = float(metric["value"])
        per_column.append(
            {
                "column": config["column"],
                "test": config["method"],
                "p_value": p_value,
                "threshold": float(config["threshold"]),
                "drifted": p_value < float(config["threshold"]),
            }
        )
    if not per_column:
        raise ValueError("the report has no ValueDrift metric")
    drifted = [c["column"] for c in per_column if c["drifted"]]
    count, share = len(drifted), len(drifted) / len(per_column)
    dataset_drift = share >= policy.drift_share
    threshold = per_column[0]["threshold"]
    return DriftSummary(
        rows=rows,
        reference_rows=reference_rows,
        evaluated=True,
        dataset_drift=dataset_drift,
        drifted_count=count,
        tested_count=len(per_column),
        drifted_share=share,
        per_column_threshold=threshold,
        policy=policy.model_dump(),
        drifted_columns=drifted,
        columns=per_column,
        untested=dict(untested or {}),
        reason=(
            f"{count} of {len(per_column)} columns drifted (share {share:.2f} "
            f"{'>=' if dataset_drift else '<'} {policy.drift_share}) at p < {threshold:.2g} "
            f"(alpha {policy.alpha} / {len(per_column)} columns, Bonferroni)"
        ),
    )


def not_evaluated(
    rows: int, reference_rows: int, policy: DriftPolicy, reason: str, untested: dict[str, str] | None = None
) -> DriftSummary:
    """The summary of a window that is not judged (too small, nothing testable): never a drift alarm."""
    return DriftSummary(
        rows=rows,
        reference_rows=reference_rows,
        evaluated=False,
        dataset_drift=False,
        drifted_count=0,
        tested_count=0,
        drifted_share=0.0,
        per_column_threshold=policy.alpha,
        policy=policy.model_dump(),
        untested=dict(untested or {}),
        reason=reason,
    )


def compare(reference: pd.DataFrame, current: pd.DataFrame, policy: DriftPolicy):
    """(snapshot or None, summary): the whole decision for one window, including the small-window guard."""
    if len(current) < policy.min_rows:
        return None, not_evaluated(
            len(current),
            len(reference),
            policy,
            f"window has {len(current)} rows, fewer than the minimum {policy.min_rows}: not judged",
        )
    columns, untested = columns_to_test(reference, current, policy)
    if not columns:
        return None, not_evaluated(len(current), len(reference), policy, "no column has enough values", untested)
    snapshot = run_drift_report(reference, current, policy, columns)
    return snapshot, summarize(snapshot, policy, len(current), len(reference), untested)
