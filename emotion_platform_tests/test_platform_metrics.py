"""The platform's Prometheus metrics, scraped over real HTTP from a real instance, data folder and registry."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import httpx
import pytest
from mlflow import MlflowClient
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.lib.drift.report import DriftSummary
from emotion_platform.lib.errors import CorruptMedia, EmptyMedia
from emotion_platform.lib.media.quarantine import quarantine
from emotion_platform.lib.media.store import MediaStore
from emotion_platform.lib.tracking import CHAMPION, ModelRegistry
from emotion_platform.platform_metrics import PlatformCollector

pytestmark = pytest.mark.slow


@dg.op
def _works() -> None:
    pass


@dg.op
def _breaks() -> None:
    raise RuntimeError("broken")


def _samples(url: str) -> dict[tuple[str, tuple], float]:
    text = httpx.get(url, timeout=30).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_reports_runs_quarantine_drift_and_the_champion(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = MediaStore(data)
    source = tmp_path / "x.wav"
    source.write_bytes(b"")
    quarantine(store, "one", EmptyMedia(source, "no bytes"), stage="admission", source=source, keep_copy=False)
    quarantine(store, "two", CorruptMedia(source, "cut"), stage="decode", source=source, keep_copy=False)
    quarantine(store, "three", CorruptMedia(source, "cut"), stage="decode", source=source, keep_copy=False)
    for window, share, drift in (("2026-11-30", 0.1, False), ("2026-12-01", 0.4, True)):
        folder = data / "drift" / "reports" / window
        folder.mkdir(parents=True)
        summary = DriftSummary(
            rows=40,
            reference_rows=500,
            evaluated=True,
            dataset_drift=drift,
            drifted_count=4,
            tested_count=10,
            drifted_share=share,
            per_column_threshold=0.05,
            policy={},
        )
        (folder / "summary.json").write_text(json.dumps(summary.to_dict()))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri, registry_uri=uri)
    client.create_registered_model("emotion-model")
    for _ in range(2):
        client.create_model_version("emotion-model", source=str(tmp_path))
    client.set_registered_model_alias("emotion-model", CHAMPION, "2")

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(media_partitions.name, ["a", "b", "c"])
        dg.GraphDefinition(name="media_pipeline", node_defs=[_works]).to_job().execute_in_process(instance=instance)
        broken = dg.GraphDefinition(name="media_pipeline", node_defs=[_breaks]).to_job()
        for _ in range(2):
            broken.execute_in_process(instance=instance, raise_on_error=False)
        registry = CollectorRegistry()
        registry.register(PlatformCollector(instance, data, ModelRegistry(uri, "emotion-model")))
        server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
        try:
            samples = _samples(f"http://127.0.0.1:{server.server_port}/metrics")
        finally:
            server.shutdown()

    assert samples[("emotion_platform_runs", (("job", "media_pipeline"), ("status", "FAILURE")))] == 2
    assert samples[("emotion_platform_runs", (("job", "media_pipeline"), ("status", "SUCCESS")))] == 1
    assert samples[("emotion_platform_media_partitions", ())] == 3
    assert samples[("emotion_platform_media_quarantined", (("code", "corrupt"), ("stage", "decode")))] == 2
    assert samples[("emotion_platform_media_quarantined", (("code", "empty"), ("stage", "admission")))] == 1
    assert samples[("emotion_platform_drift_share", (("window", "2026-12-01"),))] == 0.4  # the newest report
    assert samples[("emotion_platform_drift_detected", (("window", "2026-12-01"),))] == 1
    assert samples[("emotion_platform_champion_version", ())] == 2


def test_an_empty_platform_reports_zeros_not_errors(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with dg.instance_for_test() as instance:
        collector = PlatformCollector(instance, tmp_path / "data", ModelRegistry(uri, "emotion-model"))
        families = {f.name: f for f in collector.collect()}
    assert families["emotion_platform_champion_version"].samples[0].value == 0
    assert families["emotion_platform_media_partitions"].samples[0].value == 0
    assert "emotion_platform_drift_share" not in families
