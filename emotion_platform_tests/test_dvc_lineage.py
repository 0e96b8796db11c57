"""A DVC stage's events in a Dagster instance: data versions, input provenance and the stage's tag."""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster._core.definitions import data_version as dagster_data_version

from emotion_platform import dvc_lineage
from emotion_platform.assets.datasets.assets import DATASET_KEYS
from emotion_platform.assets.models.evaluation import model_evaluation
from emotion_platform.assets.models.training_data import splits, training_examples
from emotion_platform.dvc_lineage import StageEvents
from emotion_platform.lib.content_hash import dvc_content_hash


def test_the_tag_names_are_dagsters_own() -> None:
    assert dvc_lineage.DATA_VERSION_TAG == dagster_data_version.DATA_VERSION_TAG
    assert dvc_lineage.DATA_VERSION_IS_USER_PROVIDED_TAG == dagster_data_version.DATA_VERSION_IS_USER_PROVIDED_TAG
    assert dvc_lineage.CODE_VERSION_TAG == dagster_data_version.CODE_VERSION_TAG
    assert dvc_lineage.INPUT_DATA_VERSION_TAG_PREFIX == dagster_data_version.INPUT_DATA_VERSION_TAG_PREFIX
    assert dvc_lineage.INPUT_EVENT_POINTER_TAG_PREFIX == dagster_data_version.INPUT_EVENT_POINTER_TAG_PREFIX
    assert dg.DataVersion(dvc_lineage.UNVERSIONED_INPUT) == dagster_data_version.DEFAULT_DATA_VERSION
    assert dvc_lineage.NO_EVENT == dagster_data_version.NULL_EVENT_POINTER


def test_outputs_carry_the_dvc_hash_and_their_inputs_versions(tmp_path) -> None:
    examples, split_file = tmp_path / "examples.parquet", tmp_path / "splits.parquet"
    pd.DataFrame({"text": ["hello", "there"]}).to_parquet(examples, index=False)
    pd.DataFrame({"text": ["hello"], "split": ["train"]}).to_parquet(split_file, index=False)
    with dg.instance_for_test() as instance:
        events = StageEvents(instance, "prepare")
        meld = dg.AssetKey(["datasets", "meld_text"])
        events.observe(meld, "c431.dir", {"dvc_md5": "c431.dir"})
        version = events.materialize(training_examples, examples, {"examples": 2})
        assert version == dvc_content_hash(examples).md5
        events.materialize(splits, split_file, {"train": 1})

        observed = instance.fetch_observations(meld, limit=1).records[0]
        assert observed.asset_observation.tags["dagster/data_version"] == "c431.dir"
        assert observed.asset_observation.tags["emotion_platform/trigger"] == "dvc-prepare"
        record = instance.fetch_materializations(training_examples.key, limit=1).records[0]
        tags = record.asset_materialization.tags
        assert tags["dagster/data_version"] == version and tags["emotion_platform/trigger"] == "dvc-prepare"
        assert tags["dagster/input_data_version/datasets/meld_text"] == "c431.dir"
        assert tags["dagster/input_event_pointer/datasets/meld_text"] == str(observed.storage_id)
        assert tags["dagster/input_data_version/datasets/ravdess_speech"] == "INITIAL"  # never observed here
        assert {f"dagster/input_data_version/{k.to_user_string()}" for k in DATASET_KEYS} <= set(tags)
        assert record.asset_materialization.metadata["examples"].value == 2
        provenance = dg.DataProvenance.from_tags(tags)
        assert provenance is not None and provenance.input_data_versions[meld] == dg.DataVersion("c431.dir")
        split_tags = instance.fetch_materializations(splits.key, limit=1).records[0].asset_materialization.tags
        assert split_tags["dagster/input_data_version/training_examples"] == version
        assert instance.get_latest_data_version_record(training_examples.key) is not None

        StageEvents(instance, "evaluate").check(model_evaluation, "promotion_gate", False, {"reasons": "too slow"})
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(model_evaluation.key, "promotion_gate")]
        )
        assert len(check) == 1
