"""The statistics behind the drift decision: two-sample tests, the correction and the small-window guards."""

import numpy as np
import pandas as pd
import pytest
from evidently.legacy.calculations.stattests import chi_stat_test
from evidently.legacy.core import ColumnType

from emotion_platform.lib.drift.report import DriftPolicy, columns_to_test, compare
from emotion_platform.lib.drift.stattests import chi2_two_sample_test


def _labels(rng, n, p):
    return pd.Series(rng.choice(list("abcdefg"), n, p=p))


def test_two_sample_chi_squared_does_not_flag_two_draws_of_one_distribution() -> None:
    rng = np.random.default_rng(0)
    p = [0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05]
    ours, theirs = [], []
    for _ in range(20):
        reference, current = _labels(rng, 2000, p), _labels(rng, 10_000, p)
        ours.append(chi2_two_sample_test(reference, current, ColumnType.Categorical, 0.05).drifted)
        theirs.append(chi_stat_test(reference, current, ColumnType.Categorical, 0.05).drifted)
    assert sum(ours) <= 3
    assert sum(theirs) > sum(ours)  # the goodness-of-fit test ignores the reference's own sampling noise
    shifted = _labels(rng, 500, [0.05, 0.05, 0.1, 0.1, 0.2, 0.2, 0.3])
    assert chi2_two_sample_test(_labels(rng, 2000, p), shifted, ColumnType.Categorical, 0.001).drifted


def _frame(rng, n, shift=0.0, columns=12):
    frame = pd.DataFrame(rng.normal(size=(n, columns)) + shift, columns=[f"x{i}" for i in range(columns)])
    frame["predicted_label"] = rng.choice(list("abc"), n)
    return frame


def test_bonferroni_threshold_and_decision() -> None:
    rng = np.random.default_rng(1)
    policy = DriftPolicy(alpha=0.05, drift_share=0.25, min_rows=30)
    reference = _frame(rng, 800)
    _, calm = compare(reference, _frame(rng, 200), policy)
    assert calm.evaluated and not calm.dataset_drift
    assert calm.per_column_threshold == pytest.approx(0.05 / 13)
    moved = _frame(rng, 200)
    moved[["x0", "x1", "x2", "x3"]] += 1.0
    _, drift = compare(reference, moved, policy)
    assert drift.dataset_drift and set(drift.drifted_columns) == {"x0", "x1", "x2", "x3"}
    assert drift.drifted_share == pytest.approx(4 / 13)
    assert list(drift.table()["column"][:4]) and drift.table()["drifted"].iloc[0]


def test_small_windows_are_not_judged_and_sparse_columns_not_tested() -> None:
    rng = np.random.default_rng(2)
    policy = DriftPolicy(min_rows=30, min_column_rows=20)
    reference = _frame(rng, 500)
    snapshot, summary = compare(reference, _frame(rng, 29, shift=5.0), policy)
    assert snapshot is None and not summary.evaluated and not summary.dataset_drift
    assert "fewer than the minimum 30" in summary.reason
    window = _frame(rng, 60)
    window.loc[5:, "x0"] = np.nan  # e.g. acoustic columns of rows without audio
    tested, untested = columns_to_test(reference, window, policy)
    assert "x0" not in tested and "5 values" in untested["x0"]
