"""The DVC pipeline in a fresh clone of the repository, with a tiny training configuration.

``dvc repro`` rebuilds the sample media, the training data and a model through the platform's CLI;
a second ``dvc repro`` does nothing; changing one parameter reruns only the stage that reads it;
``dvc push``/``dvc pull`` round-trip to a local remote; the datasets' DVC hashes are the Dagster data
versions. The clone is the committed tree plus the working tree's changes (what would be committed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import mlflow
import pandas as pd
import pytest
import yaml

from emotion_platform.dvc_stages import training_curves
from emotion_platform.lib.content_hash import dvc_content_hash
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings

BIN = Path(sys.executable).parent
TINY = {
    "train": {
        "max_train_examples": 64,
        "max_validation_examples": 32,
        "epochs": 1,
        "max_length": 32,
        "max_speech_examples": 40,
        "flat_voice_lines": 16,
        "spoken_lines": 16,
    },
    "evaluate": {"max_test_examples": 60, "latency_examples": 3},
}
pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),  # four pipeline runs in subprocesses; minutes on a busy 2-core machine
]
OUTPUTS = [
    "data/training/examples.parquet",
    "data/training/splits.parquet",
    "data/models/candidate.json",
    "data/models/candidate/fusion.json",
]


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _fresh_clone(dest: Path) -> Path:
    """``git clone`` of the project, plus the working tree's uncommitted changes, plus its virtual environment."""
    _git("clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(dest), cwd=PROJECT_ROOT)
    changed = _git("ls-files", "--modified", "--others", "--exclude-standard", "-z", cwd=PROJECT_ROOT)
    for name in filter(None, changed.split("\0")):
        source, target = PROJECT_ROOT / name, dest / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        elif target.exists():
            target.unlink()  # deleted in the working tree
    (dest / ".venv").symlink_to(BIN.parent, target_is_directory=True)
    return dest


class Repo:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.first_run = ""  # what the first `dvc repro` printed

    def dvc(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "dvc"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert done.returncode == 0, f"dvc {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout + done.stderr

    def status(self) -> dict:
        return json.loads(self.dvc("status", "--json"))

    def set_params(self, changes: dict) -> None:
        path = self.root / "params.yaml"
        params = yaml.safe_load(path.read_text())
        for section, values in changes.items():
            params[section].update(values)
        path.write_text(yaml.safe_dump(params, sort_keys=False))

    def mtimes(self) -> dict[str, int]:
        return {name: (self.root / name).stat().st_mtime_ns for name in OUTPUTS}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Repo:
    root = _fresh_clone(tmp_path_factory.mktemp("clone") / "emotion_platform")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMOTION_PLATFORM_", "DAGSTER_"))}
    env |= {
        "DAGSTER_HOME": str(root / ".dagster_home"),
        "EMOTION_PLATFORM_DATA_DIR": str(root / "data"),
        "EMOTION_PLATFORM_CACHE_DIR": str(PlatformSettings().cache_dir),  # converted models, feature cache
        "DVC_NO_ANALYTICS": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONWARNINGS": "ignore",
    }
    clone = Repo(root, env)
    clone.set_params({"datasets": {"dir": str(PlatformSettings().datasets_dir)}, **TINY})
    clone.first_run = clone.dvc("repro")
    return clone


def test_repro_builds_the_data_and_a_model(repo: Repo) -> None:
    for stage in ("samples", "prepare", "train", "evaluate"):
        assert f"Running stage '{stage}'" in repo.first_run
    assert repo.status() == {}
    splits = pd.read_parquet(repo.root / "data/training/splits.parquet")
    assert set(splits["split"]) == {"train", "validation", "test"}
    assert set(splits["source"]) == {"meld", "ravdess_speech", "emodb_2s", "nemo_pl", "urdu_ser"}
    record = json.loads((repo.root / "data/models/candidate.json").read_text())
    uri = f"sqlite:///{repo.root / 'data/mlflow/mlflow.db'}"
    client = mlflow.tracking.MlflowClient(uri, registry_uri=uri)  # not the process-wide registry another test set
    assert client.get_model_version(record["registered_model"], record["version"]).run_id == record["mlflow_run_id"]
    assert client.get_run(record["mlflow_run_id"]).data.params["train_examples"] == "64"

    metrics = json.loads(repo.dvc("metrics", "show", "--json"))
    shown = next(iter(metrics.values()))["data"]
    evaluation = shown["reports/evaluation.json"]["data"]
    assert evaluation["test_examples"] == 60 and 0 <= evaluation["weighted_f1"] <= 1
    assert shown["reports/train.json"]["data"]["train_examples"] == 64
    confusion = pd.read_csv(repo.root / "reports/confusion.csv")
    assert len(confusion) == 60 and set(confusion["actual"]) <= set(EMOTIONS)
    curves = pd.read_csv(repo.root / "reports/training_curves.csv")
    assert list(curves["epoch"]) == [1] and curves["val_macro_f1"].between(0, 1).all()


def test_dataset_hashes_are_the_dagster_data_versions(repo: Repo) -> None:
    lock = yaml.safe_load((repo.root / "dvc.lock").read_text())
    deps = {Path(d["path"]).name: d["md5"] for d in lock["stages"]["prepare"]["deps"]}
    meld = PlatformSettings().datasets_dir / "meld_text"
    assert deps["meld_text"] == dvc_content_hash(meld).md5
    with dg.DagsterInstance.from_config(str(repo.root / ".dagster_home")) as instance:
        observed = instance.fetch_observations(dg.AssetKey(["datasets", "meld_text"]), limit=1).records[0]
        assert observed.asset_observation.tags["dagster/data_version"] == deps["meld_text"]
        examples = instance.fetch_materializations(dg.AssetKey("training_examples"), limit=1).records[0]
        tags = examples.asset_materialization.tags
        assert tags["dagster/input_data_version/datasets/meld_text"] == deps["meld_text"]
        assert tags["dagster/input_data_version/datasets/speech_index"] == deps["speech_index.csv"]
        assert tags["emotion_platform/trigger"] == "dvc-prepare"
        # Each stage's outputs: DVC's hash of what it wrote is the data version, the inputs' versions are recorded.
        outs = {o["path"]: o["md5"] for stage in lock["stages"].values() for o in stage.get("outs", [])}
        latest = {
            key: instance.fetch_materializations(dg.AssetKey(key), limit=1).records[0].asset_materialization
            for key in ("splits", "emotion_model", "model_evaluation")
        }
        assert latest["splits"].tags["dagster/data_version"] == outs["data/training/splits.parquet"]
        assert latest["emotion_model"].tags["dagster/data_version"] == outs["data/models/candidate"]
        assert latest["emotion_model"].tags["dagster/input_data_version/splits"] == outs["data/training/splits.parquet"]
        assert latest["emotion_model"].tags["emotion_platform/trigger"] == "dvc-train"
        record = json.loads((repo.root / "data/models/candidate.json").read_text())
        assert latest["emotion_model"].metadata["mlflow_run_id"].value == record["mlflow_run_id"]
        assert (
            latest["model_evaluation"].tags["dagster/input_data_version/emotion_model"] == outs["data/models/candidate"]
        )
        assert latest["model_evaluation"].metadata["test_examples"].value == 60
        gate = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("model_evaluation"), "promotion_gate")]
        )
        assert len(gate) == 1


def test_a_second_repro_does_nothing(repo: Repo) -> None:
    before = repo.mtimes()
    output = repo.dvc("repro")
    assert "Running stage" not in output
    assert "Data and pipelines are up to date." in output
    assert repo.mtimes() == before


def test_changing_one_parameter_reruns_only_what_depends_on_it(repo: Repo) -> None:
    before = repo.mtimes()
    repo.set_params({"evaluate": {"latency_examples": 2}})
    assert set(repo.status()) == {"evaluate"}
    output = repo.dvc("repro")
    assert "Running stage 'evaluate'" in output
    for stage in ("samples", "prepare", "train"):
        assert f"Stage '{stage}' didn't change, skipping" in output
    assert repo.mtimes() == before
    lock = yaml.safe_load((repo.root / "dvc.lock").read_text())
    assert lock["stages"]["evaluate"]["params"]["params.yaml"]["evaluate"]["latency_examples"] == 2
    assert repo.status() == {}


def test_push_and_pull_round_trip_through_the_local_remote(repo: Repo, tmp_path: Path) -> None:
    config = (repo.root / ".dvc" / "config").read_text()
    assert "remote = local" in config
    repo.dvc("remote", "modify", "--local", "local", "url", str(tmp_path / "remote"))
    originals = {name: (repo.root / name).read_bytes() for name in OUTPUTS}
    assert "files pushed" in repo.dvc("push")
    for name in ("data/training", "data/models/candidate", "data/models/candidate.json", ".dvc/cache"):
        path = repo.root / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    assert {"prepare", "train"} <= set(repo.status())
    assert "files fetched" in repo.dvc("pull")
    assert {name: (repo.root / name).read_bytes() for name in OUTPUTS} == originals
    assert repo.status() == {}


def test_training_curves_are_the_records_epochs_in_order() -> None:
    rows = [
        {
            "epoch": e,
            "train_loss": 1 / e,
            "val_macro_f1": 0.1 * e,
            "val_weighted_f1": 0.2,
            "val_accuracy": 0.3,
            "seconds": e,
        }
        for e in (2, 1)
    ]
    curves = training_curves(rows)
    assert list(curves.columns) == ["epoch", "train_loss", "val_macro_f1", "val_weighted_f1", "val_accuracy"]
    assert curves["epoch"].tolist() == [1, 2] and curves["val_macro_f1"].tolist() == [0.1, 0.2]
