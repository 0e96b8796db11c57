"""The monitoring profile's files agree with each other and with the metrics the code exports.

No container engine runs here, so Prometheus and Grafana themselves are not started: these tests read
their configuration as they would, and check every dashboard query against the metric names the
platform exporter serves (the service's names are checked against a real server in
``serving/test_server_end_to_end.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml

from emotion_platform.lib.tracking import ModelRegistry
from emotion_platform.platform_metrics import PlatformCollector
from emotion_platform.settings import PROJECT_ROOT

DOCKER = PROJECT_ROOT / "docker"
_METRIC = re.compile(r"\b((?:bentoml|emotion)_[a-z0-9_]+)")


def dashboard_metric_names() -> set[str]:
    """Metric names the Grafana dashboard queries (histogram suffixes stripped)."""
    dashboard = json.loads((DOCKER / "grafana" / "dashboards" / "emotion-platform.json").read_text())
    names = {
        name for panel in dashboard["panels"] for target in panel["targets"] for name in _METRIC.findall(target["expr"])
    }
    return {re.sub(r"_(bucket|sum|count)$", "", name) for name in names}


def test_prometheus_scrapes_the_services_compose_defines() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    prometheus = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in prometheus["scrape_configs"] for group in job["static_configs"] for t in group["targets"]}
    assert targets == {"emotion-bento:3000", "platform-metrics:9108"}
    for target in targets:
        assert target.split(":")[0] in compose["services"]
    service_job = next(j for j in prometheus["scrape_configs"] if j["job_name"] == "emotion-service")
    secret = Path(service_job["authorization"]["credentials_file"]).name
    assert secret in compose["services"]["prometheus"]["secrets"] and secret in compose["secrets"]
    assert compose["services"]["platform-metrics"]["command"][:2] == ["emotion-platform", "metrics"]


def test_grafana_is_provisioned_with_the_prometheus_source_the_dashboard_uses() -> None:
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    provisioning = DOCKER / "grafana" / "provisioning"
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    provider = yaml.safe_load((provisioning / "dashboards" / "emotion-platform.yaml").read_text())
    dashboard = json.loads((DOCKER / "grafana" / "dashboards" / "emotion-platform.json").read_text())
    uid = source["datasources"][0]["uid"]
    assert all(t["datasource"]["uid"] == uid for p in dashboard["panels"] for t in p["targets"])
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts
    titles = {p["title"] for p in dashboard["panels"]}
    for wanted in (
        "Request rate by endpoint",
        "Latency p50 / p95 / p99",
        "Refused requests by reason code",
        "Text batch sizes (utterances per model call)",
        "Media seconds classified per second",
        "Drift share (latest report)",
    ):
        assert wanted in titles


@pytest.mark.slow
def test_every_platform_metric_the_dashboard_reads_is_exported(tmp_path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with dg.instance_for_test() as instance:
        (tmp_path / "data" / "drift" / "reports" / "2026-12-01").mkdir(parents=True)
        (tmp_path / "data" / "drift" / "reports" / "2026-12-01" / "summary.json").write_text(
            json.dumps({"drifted_share": 0.2, "dataset_drift": False})
        )
        exported = {f.name for f in PlatformCollector(instance, tmp_path / "data", ModelRegistry(uri, "m")).collect()}
    wanted = {name for name in dashboard_metric_names() if name.startswith("emotion_platform_")}
    assert wanted and wanted <= exported, wanted - exported
