"""The Evidently preset behind every drift report: one ``ValueDrift`` per column, rendered once.

Evidently's ``DataDriftPreset`` runs each column's test three times (the per-column ``ValueDrift``
metrics, the dataset-level ``DriftedColumnsCount`` and, for the HTML, the legacy ``DataDriftTable``)
and draws every column's plots twice; on a 10k-row window of 30 columns that is about 6.5 s on two
cores. This preset keeps the ``ValueDrift`` metrics (same test, threshold and snapshot format) and
renders them into one page: the drift verdict as counters, a table of all columns by p-value with the
drifted ones first, then each column's distribution plot in the same order (3.2 s on the same window, see
``bench/drift.py``). The dataset-level count is taken from the per-column results (:mod:`.report`).
"""

from __future__ import annotations

from evidently.legacy.renderers.html_widgets import CounterData, counter, table_data
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset


class ColumnDriftPreset(DataDriftPreset):
    """Per-column drift tests with a review page: verdict, p-value table, distributions."""

    def generate_metrics(self, context):
        return [metric for metric in super().generate_metrics(context) if isinstance(metric, ValueDrift)]

    def render(self, context, child_widgets=None):
        rows = []
        for metric_id, widgets in child_widgets or []:
            metric = context.get_metric(metric_id).metric
            p_value = float(context.get_metric_result(metric_id).value)
            rows.append((p_value < metric.threshold, p_value, metric, widgets))
        rows.sort(key=lambda row: (not row[0], row[1]))
        drifted = sum(row[0] for row in rows)
        share = drifted / len(rows) if rows else 0.0
        verdict = "detected" if rows and share >= self.drift_share else "not detected"
        summary = counter(
            title="Dataset drift",
            counters=[
                CounterData("Dataset drift", verdict),
                CounterData("Drifted columns", f"{drifted} of {len(rows)}"),
                CounterData("Share (threshold)", f"{share:.3f} ({self.drift_share})"),
            ],
        )
        table = table_data(
            title="Columns by p-value, drifted first",
            column_names=["column", "test", "p-value", "threshold", "drift"],
            data=[
                [
                    metric.column,
                    metric.method,
                    f"{p_value:.3g}",
                    f"{metric.threshold:.3g}",
                    "DRIFT" if is_drifted else "-",
                ]
                for is_drifted, p_value, metric, _ in rows
            ],
        )
        return [summary, table, *(widget for *_, widgets in rows for widget in widgets)]
