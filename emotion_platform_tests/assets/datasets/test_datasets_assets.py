"""The datasets as observable source assets: DVC's hash is the data version, per dataset."""

from pathlib import Path

import dagster as dg
import pytest

from emotion_platform.assets.datasets.assets import DATASET_KEYS, DATASET_PATHS, dataset_key, labelled_datasets
from emotion_platform.assets.models.training_data import training_examples
from emotion_platform.lib.content_hash import dvc_content_hash
from emotion_platform.resources.mlflow import DatasetsResource


def _datasets(root: Path) -> Path:
    for name in DATASET_PATHS:
        if name.endswith(".csv"):
            (root / name).write_text("path,label\n")
        else:
            (root / name).mkdir(parents=True)
            (root / name / "labels.csv").write_text(f"{name}\n")
    return root


def _run_observation(root: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """What "Observe sources" in the UI does: a job over the observable assets."""
    defs = dg.Definitions(
        assets=[labelled_datasets],
        jobs=[dg.define_asset_job("observe_datasets", selection=dg.AssetSelection.all(include_sources=True))],
        resources={"datasets": DatasetsResource(root=str(root), feature_cache=str(root / "cache"))},
    )
    return defs.resolve_job_def("observe_datasets").execute_in_process(instance=instance, raise_on_error=False)


def _observe(root: Path, instance: dg.DagsterInstance) -> dict[str, str]:
    result = _run_observation(root, instance)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return {
        key.to_user_string(): instance.fetch_observations(key, limit=1)
        .records[0]
        .asset_observation.tags["dagster/data_version"]
        for key in DATASET_KEYS
    }


@pytest.mark.slow
def test_each_dataset_is_versioned_by_its_dvc_hash(tmp_path: Path) -> None:
    root = _datasets(tmp_path / "datasets")
    with dg.instance_for_test() as instance:
        first = _observe(root, instance)
        assert first["datasets/meld_text"] == dvc_content_hash(root / "meld_text").md5
        assert first["datasets/speech_index"] == dvc_content_hash(root / "speech_index.csv").md5
        (root / "nemo_pl" / "labels.csv").write_text("changed\n")
        second = _observe(root, instance)
    changed = {k for k in first if first[k] != second[k]}
    assert changed == {"datasets/nemo_pl"}


@pytest.mark.slow
def test_a_missing_dataset_fails_the_observation_with_its_name(tmp_path: Path) -> None:
    root = _datasets(tmp_path / "datasets")
    (root / "urdu_ser" / "labels.csv").unlink()
    (root / "urdu_ser").rmdir()
    with dg.instance_for_test() as instance:
        result = _run_observation(root, instance)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "urdu_ser" in failure.event_specific_data.error.message


def test_training_examples_depend_on_every_dataset_and_the_reviewed_labels() -> None:
    assert set(training_examples.asset_deps[training_examples.key]) == {*DATASET_KEYS, dg.AssetKey("reviewed_labels")}
    assert dataset_key("speech_index.csv") == dg.AssetKey(["datasets", "speech_index"])


@pytest.mark.parametrize("name", DATASET_PATHS)
def test_every_dataset_folder_exists_at_the_configured_location(name: str) -> None:
    from emotion_platform.settings import PlatformSettings

    assert (PlatformSettings().datasets_dir / name).exists()
