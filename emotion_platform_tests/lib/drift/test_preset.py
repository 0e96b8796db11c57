"""The report's preset: the same per-column decisions as Evidently's DataDriftPreset, on one review page."""

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

from emotion_platform.lib.drift.report import DriftPolicy, compare


def _frame(rng: np.random.Generator, n: int, shift: float = 0.0) -> pd.DataFrame:
    frame = pd.DataFrame(rng.normal(size=(n, 8)), columns=[f"x{i}" for i in range(8)])
    frame[["x0", "x1", "x2"]] += shift
    frame["predicted_label"] = rng.choice(list("abc"), n)
    return frame


def test_decisions_match_evidentlys_own_preset_and_the_page_lists_every_column(tmp_path) -> None:
    rng = np.random.default_rng(3)
    policy = DriftPolicy(alpha=0.05, drift_share=0.3)
    reference, window = _frame(rng, 600), _frame(rng, 300, shift=0.8)
    snapshot, summary = compare(reference, window, policy)
    assert summary.dataset_drift and set(summary.drifted_columns) == {"x0", "x1", "x2"}

    columns = list(reference.columns)
    definition = DataDefinition(numerical_columns=columns[:-1], categorical_columns=["predicted_label"])
    evidently = Report(
        [
            DataDriftPreset(
                columns=columns,
                drift_share=policy.drift_share,
                num_method="ks",
                cat_method="chi2_two_sample",
                threshold=policy.alpha / len(columns),
            )
        ]
    ).run(
        current_data=Dataset.from_pandas(window, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    count = next(m for m in evidently.dict()["metrics"] if m["config"]["type"].endswith("DriftedColumnsCount"))
    assert count["value"]["count"] == summary.drifted_count
    assert count["value"]["share"] == summary.drifted_share

    page = tmp_path / "report.html"
    snapshot.save_html(str(page))
    html = page.read_text()
    assert "Columns by p-value, drifted first" in html and "3 of 9" in html
    assert all(column in html for column in columns)
