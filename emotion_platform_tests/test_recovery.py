"""Recovery without a person: a CLI process SIGKILLed at a named stage, then the ordinary next command.

``EMOTION_PLATFORM_CRASH_AT=<stage>`` makes the process kill itself while an artifact of that stage is
written (complete under its temporary name, not yet renamed). The next plain ``emotion-platform
ingest`` must finish the work by itself: the dead run marked failed, the unfinished partition run
again, the dead writer's temporary files gone, and the artifacts equal to those of a run that never
crashed (bytes for audio and the stored original; the transcript's content, without its timings).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from emotion_platform.lib.atomic import TEMP_MARKER
from emotion_platform_tests.media_corpus import long_reading, settle
from emotion_platform_tests.test_cli import run_cli

pytestmark = pytest.mark.slow

# Fields that measure this run rather than describe the media.
TIMINGS = {"processing_s", "real_time_factor"}


def _environment(root: Path, crash_at: str | None = None) -> dict[str, str]:
    env = os.environ | {
        "EMOTION_PLATFORM_DATA_DIR": str(root / "data"),
        "DAGSTER_HOME": str(root / "home"),
        "COLUMNS": "200",
    }
    env.pop("EMOTION_PLATFORM_CRASH_AT", None)
    return env | ({"EMOTION_PLATFORM_CRASH_AT": crash_at} if crash_at else {})


def _drop_clip(root: Path, clip: Path) -> None:
    inbox = root / "data" / "inbox"
    inbox.mkdir(parents=True)
    shutil.copyfile(clip, inbox / "a reading.wav")
    settle(inbox)


def _artifacts(data: Path) -> dict[str, object]:
    """What the media pipeline produced, keyed by path relative to the data folder, comparable across runs."""
    found: dict[str, object] = {}
    for path in sorted((data / "media").rglob("*")) + sorted((data / "transcripts").rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(data))
        if path.name == "manifest.json":
            manifest = json.loads(path.read_text())
            manifest.pop("admitted_at")
            found[rel] = manifest
        elif path.parent.name == "transcripts":
            found[rel] = {k: v for k, v in json.loads(path.read_text()).items() if k not in TIMINGS}
        elif path.parent.name == "records":  # the media record names files by their path in this data folder
            found[rel] = json.loads(path.read_text().replace(str(data), "<data>"))
        else:
            found[rel] = path.read_bytes()
    return found


def _temporaries(data: Path) -> list[Path]:
    return [p for p in data.rglob("*") if TEMP_MARKER in p.name]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, librivox) -> dict[str, object]:
    """The artifacts of a run that was never interrupted."""
    root = tmp_path_factory.mktemp("reference")
    _drop_clip(root, librivox[4].path)
    done = run_cli("ingest", env=_environment(root))
    assert done.returncode == 0, done.stderr[-2000:]
    artifacts = _artifacts(root / "data")
    assert any(k.startswith("transcripts/") for k in artifacts) and any(k.endswith(".wav") for k in artifacts)
    return artifacts


@pytest.mark.parametrize("stage", ["admission", "media", "transcripts"])
def test_the_next_ingest_finishes_what_a_killed_one_left(tmp_path, librivox, reference, stage) -> None:
    _drop_clip(tmp_path, librivox[4].path)
    data = tmp_path / "data"

    crashed = run_cli("ingest", env=_environment(tmp_path, crash_at=stage))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    # Killed mid-write: the artifact exists only under its temporary name, never half-written in place.
    assert _temporaries(data), "the crash point is inside an atomic write"
    assert not (data / "transcripts").exists() or not any((data / "transcripts").glob("*.json"))

    recovered = run_cli("ingest", env=_environment(tmp_path))
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert _temporaries(data) == []
    assert _artifacts(data) == reference
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        statuses = sorted(run.status.value for run in instance.get_runs())
    # The killed run (admission dies before any run starts) is marked failed; the work ran once more.
    expected = ["SUCCESS"] if stage == "admission" else ["FAILURE", "SUCCESS"]
    assert statuses == expected
    if stage != "admission":
        assert "unfinished partitions run again: 1" in recovered.stdout


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    from emotion_platform_tests.serving.champion import shared_champion

    return shared_champion(tmp_path_factory)


def _predictions(data: Path) -> dict[str, object]:
    return {p.name: json.loads(p.read_text()) for p in sorted((data / "predictions").glob("*.json"))}


def test_the_next_predict_finishes_what_a_killed_one_left(tmp_path, librivox, champion) -> None:
    _drop_clip(tmp_path, librivox[4].path)
    data = tmp_path / "data"
    env = _environment(tmp_path) | {
        "EMOTION_PLATFORM_MLFLOW_TRACKING_URI": champion.tracking_uri,
        "EMOTION_PLATFORM_REGISTERED_MODEL": champion.name,
    }
    assert run_cli("ingest", env=env).returncode == 0

    crashed = run_cli("predict", env=env | {"EMOTION_PLATFORM_CRASH_AT": "predictions"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert _temporaries(data) and not list((data / "predictions").glob("*.segments.json"))

    recovered = run_cli("predict", env=env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert _temporaries(data) == []
    after_recovery = _predictions(data)
    assert any(name.endswith(".segments.json") for name in after_recovery)
    assert run_cli("predict", env=env).returncode == 0  # an uninterrupted run over the same media
    assert _predictions(data) == after_recovery
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        predict_runs = [r.status.value for r in instance.get_runs() if r.job_name == "predict_media"]
    assert sorted(predict_runs) == ["FAILURE", "SUCCESS", "SUCCESS"]

    # A data folder without the media record (one from before records were stored there, or a removed
    # file): predict runs the media pipeline for that file again first, then predicts.
    (record,) = (data / "media" / "records").glob("*.json")
    record.unlink()
    assert run_cli("predict", env=env).returncode == 0
    assert record.exists() and _predictions(data) == after_recovery


def test_a_full_disk_fails_the_run_without_blaming_the_file_and_the_next_ingest_finishes(
    tmp_path, librivox, small_disk
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # 2.4 MB stored, 4.8 MB decoded: over 4 MiB
    long_reading(inbox / "long reading.wav", [clip.path for clip in librivox])
    settle(inbox)
    env = _environment(tmp_path) | {
        "EMOTION_PLATFORM_DATA_DIR": str(small_disk / "data"),
        "EMOTION_PLATFORM_INBOX_DIR": str(inbox),
    }

    full = run_cli("ingest", env=env)

    assert full.returncode == 1
    assert "disk holding" in full.stderr + full.stdout and "is full" in full.stderr + full.stdout
    assert "quarantine: empty" in full.stdout  # the file is not blamed
    assert _temporaries(small_disk / "data") == []  # the partial decode is gone

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)  # room is made
    recovered = run_cli("ingest", env=env)
    assert recovered.returncode == 0, recovered.stderr[-2000:]
    assert "unfinished partitions run again: 1" in recovered.stdout and "Dashwood" in recovered.stdout
