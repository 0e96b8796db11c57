"""Prometheus metrics of the platform itself (the service exports its own at ``/metrics``).

    emotion-platform metrics --port 9108      # http://localhost:9108/metrics, read on every scrape

Gauges, read from where the platform keeps its state at each scrape (nothing to keep in sync):

* ``emotion_platform_runs{job, status}``: Dagster runs by job and final status (failures included);
* ``emotion_platform_media_partitions``: media files registered;
* ``emotion_platform_media_quarantined{stage, code}``: files refused, by stage and reason code;
* ``emotion_platform_drift_share`` / ``emotion_platform_drift_detected``: the latest drift report's share
  of drifted columns and its verdict (label ``window``);
* ``emotion_platform_champion_version``: the MLflow version behind the ``champion`` alias (0: none).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from emotion_platform.constants import MEDIA_PARTITIONS_NAME
from emotion_platform.lib.media.quarantine import list_quarantined
from emotion_platform.lib.media.store import MediaStore
from emotion_platform.lib.tracking import ModelRegistry

REPORTED_STATUSES = (
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.QUEUED,
)


def latest_drift_summary(data_dir: Path) -> tuple[str, dict] | None:
    """(window, summary) of the newest drift report on disk, if any."""
    summaries = sorted((data_dir / "drift" / "reports").glob("*/summary.json"))
    if not summaries:
        return None
    return summaries[-1].parent.name, json.loads(summaries[-1].read_text())


class PlatformCollector(Collector):
    """Reads the Dagster instance, the data folder and the MLflow registry at each scrape."""

    def __init__(self, instance: dg.DagsterInstance, data_dir: Path, registry: ModelRegistry) -> None:
        self.instance = instance
        self.data_dir = data_dir
        self.registry = registry

    def collect(self) -> Iterator[GaugeMetricFamily]:
        runs = GaugeMetricFamily("emotion_platform_runs", "Dagster runs by job and status", labels=["job", "status"])
        counts = Counter(
            (r.dagster_run.job_name, r.dagster_run.status.value)
            for r in self.instance.get_run_records(dg.RunsFilter(statuses=list(REPORTED_STATUSES)))
        )
        for (job, status), count in sorted(counts.items()):
            runs.add_metric([job, status], count)
        yield runs

        yield GaugeMetricFamily(
            "emotion_platform_media_partitions",
            "Media files registered as partitions",
            value=len(self.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)),
        )

        quarantined = GaugeMetricFamily(
            "emotion_platform_media_quarantined", "Files refused, by stage and reason", labels=["stage", "code"]
        )
        by_reason = Counter((r["stage"], r["code"]) for r in list_quarantined(MediaStore(self.data_dir)))
        for (stage, code), count in sorted(by_reason.items()):
            quarantined.add_metric([stage, code], count)
        yield quarantined

        latest = latest_drift_summary(self.data_dir)
        if latest is not None:
            window, summary = latest
            share = GaugeMetricFamily(
                "emotion_platform_drift_share", "Share of drifted columns in the latest drift report", labels=["window"]
            )
            share.add_metric([window], float(summary["drifted_share"]))
            detected = GaugeMetricFamily(
                "emotion_platform_drift_detected",
                "1 when the latest drift report found dataset drift",
                labels=["window"],
            )
            detected.add_metric([window], float(bool(summary["dataset_drift"])))
            yield from (share, detected)

        champion = self.registry.champion()
        yield GaugeMetricFamily(
            "emotion_platform_champion_version",
            "MLflow version of the champion model (0: none)",
            value=float(champion.version) if champion is not None else 0.0,
        )
