"""The command line end to end, in a fresh process with its own data folder and Dagster instance."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from emotion_platform.cli import main, one_line
from emotion_platform.cli import models as model_commands
from emotion_platform.lib.errors import StepFailed
from emotion_platform.settings import PlatformSettings
from emotion_platform_tests.media_corpus import settle

pytestmark = pytest.mark.slow


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).parent / "emotion-platform"
    # Generous: on a loaded 2-core machine one ingest (Dagster, Whisper, ffmpeg start-up) can take minutes.
    return subprocess.run([str(cli), *args], env=env, capture_output=True, text=True, timeout=900, check=False)


def test_ingest_processes_the_inbox_and_is_idempotent(tmp_path: Path, librivox) -> None:
    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copyfile(librivox[4].path, inbox / "clip one.wav")
    (inbox / "notes.wav").write_text("not audio at all\n" * 20)
    settle(inbox)
    env = os.environ | {
        "EMOTION_PLATFORM_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "COLUMNS": "200",
    }

    first = run_cli("ingest", env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "new media partitions: 2; runs: 2; failed runs: 0" in first.stdout
    assert "He might even have been made amiable" in first.stdout
    assert "not_media" in first.stdout  # the text file, in the summary and the quarantine table
    # Progress on stderr, which is not a terminal here: plain lines, files done / total, no bar redraws.
    progress = [line for line in first.stderr.splitlines() if line.startswith("ingesting media:")]
    assert progress[0].startswith("ingesting media: 0/2 files (0%)"), first.stderr[-2000:]
    assert progress[-1].startswith("ingesting media: 2/2 files (100%), done in ")
    assert all("last " in line for line in progress[1:])  # and which file was just done
    assert "\r" not in first.stderr

    second = run_cli("ingest", env=env)
    assert second.returncode == 0
    assert "new media partitions: 0; runs: 0" in second.stdout

    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.is_success for r in runs)


def test_json_logs_of_an_ingest_carry_the_run_and_the_partition(tmp_path: Path, librivox) -> None:
    import json

    inbox = tmp_path / "data" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copyfile(librivox[4].path, inbox / "clip.wav")
    settle(inbox)
    env = os.environ | {
        "EMOTION_PLATFORM_DATA_DIR": str(tmp_path / "data"),
        "EMOTION_PLATFORM_LOG_FORMAT": "json",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "COLUMNS": "200",
    }

    done = run_cli("ingest", env=env)

    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stderr.splitlines()]  # every stderr line is one JSON object
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        (run,) = instance.get_runs()
    key = run.tags["dagster/partition"]
    of_the_run = [r for r in records if r.get("run_id") == run.run_id]
    assert of_the_run and all(r["partition"] == r["media_id"] == key for r in of_the_run)
    # Dagster's own run log (the transcripts step) and library code running inside the run (the transcriber).
    assert any(r["logger"] == "dagster" and r.get("step") == "transcripts" for r in of_the_run)
    assert any(r["logger"] != "dagster" for r in of_the_run)
    assert all({"time", "level", "message", "logger"} <= r.keys() for r in records)
    assert any(r["logger"] == "emotion_platform.progress" and r.get("done") == 1 for r in records)


def test_a_platform_error_ends_the_command_with_one_line_and_a_non_zero_status(tmp_path: Path, monkeypatch) -> None:
    registry = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings = PlatformSettings(data_dir=tmp_path / "data", mlflow_tracking_uri=registry)
    monkeypatch.setattr(model_commands, "get_settings", lambda: settings)

    result = CliRunner().invoke(main, ["rollback"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output  # MLflow's own log lines (creating the registry) may come before
    assert result.output.splitlines()[-1] == (
        f"Error: no version of {settings.registered_model!r} has the alias 'champion' at {registry}: "
        "nothing to roll back; train and promote a model first "
        "(emotion-platform train, or the Dagster job train_and_promote)"
    )


def test_a_step_output_the_error_carries_is_joined_on_the_one_line() -> None:
    error = StepFailed("bento build failed (1):\n  line one\n\nline two\n")
    assert one_line(error) == "bento build failed (1): | line one | line two"
