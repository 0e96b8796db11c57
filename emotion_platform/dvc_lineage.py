"""What a DVC stage produced, reported to the deployment's Dagster instance as runless asset events, so
the datasets' versions, the stage's outputs and their lineage show in the Dagster UI without a Dagster run.

* the datasets are observed with DVC's content hash as their data version (as ``labelled_datasets`` does);
* each asset the stage built is materialized with the metadata its asset emits, DVC's hash of the file
  or folder the stage wrote (what ``dvc.lock`` records) as its data version, and the data versions of
  its inputs, so the UI shows where it came from and marks it stale when an input changes;
* every event is tagged ``emotion_platform/trigger: dvc-<stage>``.

The tag names are Dagster's own conventions for data versions (``dagster/_core/definitions/data_version.py``,
which exports no public constants for them): written once here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from emotion_platform.lib.content_hash import dvc_content_hash

DATA_VERSION_TAG = "dagster/data_version"
DATA_VERSION_IS_USER_PROVIDED_TAG = "dagster/data_version_is_user_provided"
CODE_VERSION_TAG = "dagster/code_version"
INPUT_DATA_VERSION_TAG_PREFIX = "dagster/input_data_version"
INPUT_EVENT_POINTER_TAG_PREFIX = "dagster/input_event_pointer"
UNVERSIONED_INPUT = "INITIAL"  # Dagster's data version of an input never observed nor materialized
NO_EVENT = "NULL"  # Dagster's event pointer of such an input
TRIGGER_TAG = "emotion_platform/trigger"


def trigger(stage: str) -> dict[str, str]:
    """The tag of everything a DVC stage records (Dagster events, the MLflow run)."""
    return {TRIGGER_TAG: f"dvc-{stage}"}


@dataclass(frozen=True)
class StageEvents:
    """Reports one stage's events to ``instance``."""

    instance: dg.DagsterInstance
    stage: str

    def observe(self, key: dg.AssetKey, data_version: str, metadata: dict) -> None:
        """An observation of a source asset (a dataset) with ``data_version``."""
        tags = {DATA_VERSION_TAG: data_version, DATA_VERSION_IS_USER_PROVIDED_TAG: "true", **trigger(self.stage)}
        self.instance.report_runless_asset_event(dg.AssetObservation(asset_key=key, metadata=metadata, tags=tags))

    def materialize(self, asset: dg.AssetsDefinition, output: Path, metadata: dict) -> str:
        """A materialization of ``asset`` whose data version is DVC's hash of ``output``; returns the version."""
        version = dvc_content_hash(output).md5
        tags = {
            CODE_VERSION_TAG: asset.code_versions_by_key.get(asset.key) or f"dvc-{self.stage}",
            **self._input_tags(asset.dependency_keys),
            DATA_VERSION_TAG: version,
            DATA_VERSION_IS_USER_PROVIDED_TAG: "true",
            **trigger(self.stage),
        }
        event = dg.AssetMaterialization(asset_key=asset.key, metadata=metadata, tags=tags)
        self.instance.report_runless_asset_event(event)
        return version

    def check(self, asset: dg.AssetsDefinition, check_name: str, passed: bool, metadata: dict) -> None:
        """The evaluation of one of the asset's blocking checks."""
        evaluation = dg.AssetCheckEvaluation(
            asset_key=asset.key, check_name=check_name, passed=passed, metadata=metadata, blocking=True
        )
        self.instance.report_runless_asset_event(evaluation)

    def _latest(self, key: dg.AssetKey) -> dg.EventLogRecord | None:
        """The asset's latest materialization, else its latest observation."""
        for fetch in (self.instance.fetch_materializations, self.instance.fetch_observations):
            records = fetch(key, limit=1).records
            if records:
                return records[0]
        return None

    def _input_tags(self, keys: Iterable[dg.AssetKey]) -> dict[str, str]:
        """Each input's current data version and the event that recorded it (Dagster's provenance tags)."""
        tags = {}
        for key in sorted(keys, key=lambda k: k.to_user_string()):
            latest = self._latest(key)
            version = (latest.asset_event.tags or {}).get(DATA_VERSION_TAG) if latest and latest.asset_event else None
            name = key.to_user_string()
            tags[f"{INPUT_DATA_VERSION_TAG_PREFIX}/{name}"] = version or UNVERSIONED_INPUT
            tags[f"{INPUT_EVENT_POINTER_TAG_PREFIX}/{name}"] = str(latest.storage_id) if latest else NO_EVENT
        return tags
