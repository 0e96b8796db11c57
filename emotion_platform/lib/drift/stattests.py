"""A two-sample chi-squared test for categorical columns, registered with Evidently as ``chi2_two_sample``.

Evidently's own ``chisquare`` is a goodness-of-fit test: it treats the reference proportions as exact,
so with a large window and a smaller reference it reports drift between two samples of one
distribution (seen here: p = 4e-5 for two random draws of 10,000 and 2,000 labels). The test of
homogeneity on the 2 x k contingency table accounts for the sampling noise of both samples.
"""

from __future__ import annotations

import pandas as pd
from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
from evidently.legacy.core import ColumnType
from scipy.stats import chi2_contingency

CHI2_TWO_SAMPLE = "chi2_two_sample"


def _chi2_two_sample(
    reference: pd.Series, current: pd.Series, feature_type: ColumnType, threshold: float
) -> tuple[float, bool]:
    counts = pd.concat(
        [reference.value_counts().rename("reference"), current.value_counts().rename("current")], axis=1
    ).fillna(0)
    counts = counts[(counts.sum(axis=1) > 0)]
    if len(counts) < 2:
        return 1.0, False
    p_value = float(chi2_contingency(counts.T.to_numpy())[1])
    return p_value, p_value < threshold


chi2_two_sample_test = StatTest(
    name=CHI2_TWO_SAMPLE,
    display_name="chi-square two-sample p_value",
    allowed_feature_types=[ColumnType.Categorical],
)
register_stattest(chi2_two_sample_test, default_impl=_chi2_two_sample)
