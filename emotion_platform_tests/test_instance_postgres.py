"""The scale profile on a real PostgreSQL server: Dagster's storage and MLflow's backend store.

One variable (``EMOTION_PLATFORM_DEPLOYMENT=scale``) switches both. The test starts Debian's
PostgreSQL on loopback, materializes media -> transcripts for a real recording in a Dagster instance
whose run/event/schedule storage is that server, logs an MLflow run to it, and checks both through
their own APIs (and that the rows really are in PostgreSQL).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import mlflow
import psycopg2
import pytest
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from emotion_platform.assets.media.assets import media
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.instance import SCALE_INSTANCE_YAML, ensure_dagster_home
from emotion_platform.lib.media.admission import admit
from emotion_platform.lib.media.inbox import scan_inbox
from emotion_platform.lib.tracking import ensure_experiment
from emotion_platform.lib.transcription.types import Transcript
from emotion_platform.resources import RECORD_IO_MANAGER, RecordIOManager, StorageResource
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings
from emotion_platform_tests.postgres_server import postgres_bin_dir, running_postgres

BIN_DIR = postgres_bin_dir()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BIN_DIR is None,
        reason="PostgreSQL server binaries not installed (apt-get install postgresql; scripts/setup.sh does this)",
    ),
]


@pytest.fixture(scope="module")
def server():
    with running_postgres(BIN_DIR) as running:
        running.create_database("dagster")
        running.create_database("mlflow")
        yield running


@pytest.fixture()
def scale_env(server, tmp_path, monkeypatch) -> PlatformSettings:
    """The environment of a scale deployment: the one switch plus where the server is."""
    monkeypatch.delenv("EMOTION_PLATFORM_MLFLOW_TRACKING_URI", raising=False)
    for name, value in (("PASSWORD", ""), ("DAGSTER_DB", "dagster"), ("MLFLOW_DB", "mlflow")):
        monkeypatch.setenv(f"EMOTION_PLATFORM_PG_{name}", value)  # restored after the test
    monkeypatch.setenv("EMOTION_PLATFORM_DEPLOYMENT", "scale")
    monkeypatch.setenv("EMOTION_PLATFORM_PG_HOST", server.host)
    monkeypatch.setenv("EMOTION_PLATFORM_PG_PORT", str(server.port))
    monkeypatch.setenv("EMOTION_PLATFORM_PG_USER", server.user)
    monkeypatch.setenv("EMOTION_PLATFORM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return PlatformSettings()


def _rows(url: str, query: str) -> list[tuple]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()
    finally:
        connection.close()


def test_scale_profile_runs_dagster_and_mlflow_on_postgres(server, scale_env, librivox, fast_transcriber) -> None:
    settings = scale_env
    assert settings.deployment == "scale"
    assert settings.tracking_uri == f"postgresql+psycopg2://{server.user}@{server.host}:{server.port}/mlflow"
    home = ensure_dagster_home(settings)
    assert (home / "dagster.yaml").read_text() == SCALE_INSTANCE_YAML
    assert (PROJECT_ROOT / "docker" / "dagster.yaml").read_text() == SCALE_INSTANCE_YAML

    storage = StorageResource(root=str(settings.data_dir), inbox=str(settings.inbox), settle_s=0.0)
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    clip = librivox[4]
    shutil.copyfile(clip.path, inbox / "clip.wav")
    (item,) = scan_inbox(inbox, {}, settle_s=0).ready
    key = admit(item, storage.media_store, storage.max_bytes).media_id

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        instance.add_dynamic_partitions("media_files", [key])
        result = dg.materialize(
            [media, transcripts],
            partition_key=key,
            instance=instance,
            resources={
                "storage": storage,
                "transcriber": fast_transcriber,
                RECORD_IO_MANAGER: RecordIOManager(root=storage.root),
            },
        )
        assert result.success
        run_id = result.run_id

    # A new instance from the same DAGSTER_HOME reads it all back from the server.
    with dg.DagsterInstance.get() as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.is_success
        assert key in instance.get_dynamic_partitions("media_files")
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("transcripts"), asset_partitions=[key]), limit=1
        ).records
        metadata = records[0].asset_materialization.metadata
        assert metadata["status"].value == "ok"
        transcript = Transcript.load(Path(metadata["file"].value))
        assert "amiable" in transcript.text
    assert _rows(server.url("dagster"), f"SELECT status FROM runs WHERE run_id = '{run_id}'") == [("SUCCESS",)]

    experiment_id = ensure_experiment(settings.tracking_uri, "scale-profile", settings.data_dir / "mlflow")
    client = mlflow.tracking.MlflowClient(settings.tracking_uri)
    mlflow_run = client.create_run(experiment_id, tags={"dagster_run_id": run_id})
    client.log_param(mlflow_run.info.run_id, "media_id", key)
    client.log_metric(mlflow_run.info.run_id, "words", float(metadata["words"].value))
    client.set_terminated(mlflow_run.info.run_id)

    found = mlflow.tracking.MlflowClient(settings.tracking_uri).search_runs(
        [experiment_id], filter_string=f"tags.dagster_run_id = '{run_id}'"
    )
    assert len(found) == 1
    assert found[0].data.params["media_id"] == key
    assert found[0].data.metrics["words"] == metadata["words"].value
    assert found[0].info.status == "FINISHED"
    assert _rows(server.url("mlflow"), f"SELECT status FROM runs WHERE run_uuid = '{mlflow_run.info.run_id}'") == [
        ("FINISHED",)
    ]


def test_local_profile_stays_sqlite(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EMOTION_PLATFORM_DEPLOYMENT", raising=False)
    monkeypatch.delenv("EMOTION_PLATFORM_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    settings = PlatformSettings(data_dir=tmp_path / "data")
    assert settings.deployment == "local"
    assert settings.tracking_uri == f"sqlite:///{tmp_path / 'data' / 'mlflow' / 'mlflow.db'}"
    home = ensure_dagster_home(settings)
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
    assert "postgres" not in (home / "dagster.yaml").read_text()


def test_postgres_going_away_mid_run_ends_the_command_and_the_next_one_finishes(
    server, tmp_path, librivox, monkeypatch
) -> None:
    """PostgreSQL stops (immediate shutdown) while ``ingest`` transcribes; it comes back; ``ingest`` again."""
    import os
    import subprocess
    import sys
    import time

    from emotion_platform_tests.media_corpus import long_reading, settle

    server.create_database("dagster_outage")  # its own runs and partitions, apart from the other tests
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    long_reading(inbox / "long reading.wav", [clip.path for clip in librivox])  # ~75 s: seconds to transcribe
    settle(inbox)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMOTION_PLATFORM_")} | {
        "EMOTION_PLATFORM_DEPLOYMENT": "scale",
        "EMOTION_PLATFORM_PG_HOST": server.host,
        "EMOTION_PLATFORM_PG_PORT": str(server.port),
        "EMOTION_PLATFORM_PG_USER": server.user,
        "EMOTION_PLATFORM_PG_PASSWORD": "",
        "EMOTION_PLATFORM_PG_DAGSTER_DB": "dagster_outage",
        "EMOTION_PLATFORM_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "EMOTION_PLATFORM_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "COLUMNS": "200",
    }
    cli = str(Path(sys.executable).parent / "emotion-platform")

    first = subprocess.Popen([cli, "ingest"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    audio = tmp_path / "data" / "media" / "audio"
    while first.poll() is None and not (audio.exists() and any(audio.glob("*.wav"))):
        time.sleep(0.05)  # decoded: the run is now transcribing
    server.stop()
    try:
        _, err = first.communicate(timeout=300)  # ends by itself: never a stuck command
    finally:
        server.start()
    assert first.returncode == 1
    assert f"PostgreSQL at {server.host}:{server.port}) could not be reached" in err
    assert "Traceback" not in err

    second = subprocess.run([cli, "ingest"], env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "unfinished partitions run again: 1" in second.stdout
    assert "Dashwood" in second.stdout  # the transcript, in the summary table
    for name, value in env.items():
        if name.startswith("EMOTION_PLATFORM_PG_"):
            monkeypatch.setenv(name, value)  # what the instance's dagster.yaml reads
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        statuses = sorted(run.status.value for run in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]
    assert not [p for p in (tmp_path / "data").rglob("*") if ".tmp-" in p.name]


def test_the_web_page_history_lives_in_postgres_in_the_scale_profile(server, scale_env) -> None:
    from emotion_platform.serving.service_settings import ServingSettings
    from emotion_platform.serving.web.history import HistoryStore
    from emotion_platform.settings import get_settings

    server.create_database("emotion_history")
    get_settings.cache_clear()
    try:
        url = ServingSettings().history_url()
    finally:
        get_settings.cache_clear()
    assert url == scale_env.postgres.url("emotion_history")
    store = HistoryStore(url)
    analysis = store.create(
        filename="call.wav",
        media_path="/srv/uploads/call.wav",
        media_kind="audio",
        size_bytes=5,
        sha256="ab" * 32,
        owner="key1",
    )
    assert store.claim(analysis.id, "host:1") and not store.claim(analysis.id, "host:2")
    store.finish(
        analysis.id,
        {"segments": [{"start": 0, "end": 1, "text": "Hi.", "top": "joy"}]},
        {"name": "emotion-model", "version": "3"},
    )
    store.correct(analysis.id, 0, "surprise", "Ana", "key1")
    assert [r["corrected"] for r in store.reviewed()] == ["surprise"]
    rows = _rows(server.url("emotion_history"), "SELECT status, model_version FROM web_analyses")
    assert rows == [("done", "3")]
