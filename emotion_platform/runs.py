"""The CLI's in-process runner: the media pipeline, training and predictions run without the daemon.

``ingest`` evaluates the inbox sensor once and runs what it asks, so that one command processes the
inbox with no server running; ``train`` and ``predict`` materialize their assets the same way.
Runs are recorded in the same Dagster instance the UI reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from emotion_platform.constants import MEDIA_PARTITIONS_NAME
from emotion_platform.lib import atomic
from emotion_platform.lib.logs import log_context
from emotion_platform.lib.media.store import PREPARED_FILE, TRANSCRIPT_FILE
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.recovery import sweep_orphans
from emotion_platform.recovery import fail_runs_of_dead_processes, process_tags
from emotion_platform.settings import get_settings


@dataclass
class IngestOutcome:
    new_partitions: list[str] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    skip_reason: str | None = None


def _cursor_file(instance: dg.DagsterInstance) -> Path:
    return Path(instance.root_directory) / "cli_inbox_cursor.json"


def evaluate_inbox_sensor(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.SensorResult:
    """One tick of the inbox sensor, with its cursor kept beside the instance."""
    cursor_file = _cursor_file(instance)
    cursor = cursor_file.read_text() if cursor_file.exists() else None
    sensor = defs.resolve_sensor_def("inbox_sensor")
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources={"storage": (defs.resources or {})["storage"]}
    ) as context:
        result = sensor(context)
    if not isinstance(result, dg.SensorResult):
        raise TypeError(f"inbox_sensor returned {type(result).__name__}, expected SensorResult")
    if result.cursor is not None:
        atomic.write_text(cursor_file, result.cursor)
    return result


def clean_up_after_dead_processes(instance: dg.DagsterInstance, data_root: Path) -> tuple[list[str], list[Path]]:
    """Mark failed the runs whose process died and sweep the temporary files such processes left."""
    return fail_runs_of_dead_processes(instance), sweep_orphans(data_root)


def console_run_config() -> dict:
    """Run config of the console logger: warnings beside the CLI's tables; everything in JSON mode."""
    level = "INFO" if get_settings().log_format == "json" else "WARNING"
    return {"loggers": {"console": {"config": {"log_level": level}}}}


def run_partition(
    job: dg.JobDefinition, key: str, instance: dg.DagsterInstance, tags: dict[str, str]
) -> dg.ExecuteInProcessResult:
    """One run of ``job`` for media partition ``key`` in this process; its log lines carry the run's ids."""
    run_id = str(uuid.uuid4())
    with log_context(run_id=run_id, job=job.name, partition=key, media_id=key):
        return job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            tags={**tags, **process_tags()},
            run_config=console_run_config(),
        )


def ingest_inbox(defs: dg.Definitions, instance: dg.DagsterInstance) -> IngestOutcome:
    """Admit what is in the inbox and run the media pipeline for every new partition, one run each.

    Partitions a dead process left unfinished are run again too (the sensor requests them), after its
    temporary files are swept.
    """
    clean_up_after_dead_processes(instance, Path((defs.resources or {})["storage"].root))
    result = evaluate_inbox_sensor(defs, instance)
    outcome = IngestOutcome(skip_reason=str(result.skip_reason.skip_message) if result.skip_reason else None)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        outcome.new_partitions.extend(request.partition_keys)
    job = defs.resolve_job_def("media_pipeline")
    requests = result.run_requests or []
    with Progress("ingesting media", len(requests), "files", every_s=0.0) as progress:
        for run_request in requests:
            key = run_request.partition_key
            assert key is not None  # the inbox sensor requests one media partition per run
            run = run_partition(job, key, instance, {"emotion_platform/trigger": "cli-ingest", **run_request.tags})
            outcome.run_ids[key] = run.run_id
            if key not in outcome.new_partitions:
                outcome.recovered.append(key)
            if not run.success:
                outcome.failed.append(key)
            progress.advance(last=f"{key} ({'ok' if run.success else 'failed'})")
    return outcome


def latest_value_metadata(instance: dg.DagsterInstance, asset: str, partition: str) -> dict:
    """The metadata of the latest materialization of ``asset`` for ``partition`` (plain values)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return {}
    return {k: getattr(v, "value", v) for k, v in records[0].asset_materialization.metadata.items()}


def known_media(instance: dg.DagsterInstance) -> list[str]:
    return list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))


def train_and_promote(
    instance: dg.DagsterInstance, model_config: dict, evaluation_config: dict, min_weighted_f1: float | None = None
) -> dg.ExecuteInProcessResult:
    """Materialize the models group (training data -> candidate -> evaluation -> gate -> champion) with
    the run configs of a training plan (:func:`emotion_platform.params.training_plan`)."""
    import mlflow

    from emotion_platform.assets.models.assets import TRAINING_ASSETS, TRAINING_CHECKS
    from emotion_platform.assets.models.reviewed import reviewed_labels
    from emotion_platform.definitions import build_resources
    from emotion_platform.resources.mlflow import PromotionPolicyResource

    resources = build_resources(get_settings())
    clean_up_after_dead_processes(instance, Path(resources["storage"].root))
    if min_weighted_f1 is not None:
        resources["promotion_policy"] = PromotionPolicyResource(min_weighted_f1=min_weighted_f1)
    try:
        return dg.materialize(
            [reviewed_labels, *TRAINING_ASSETS, *TRAINING_CHECKS],
            instance=instance,
            resources=resources,
            raise_on_error=False,
            tags={"emotion_platform/trigger": "cli-train", **process_tags()},
            run_config={
                "ops": {"emotion_model": {"config": model_config}, "model_evaluation": {"config": evaluation_config}},
                **console_run_config(),
            },
        )
    finally:
        mlflow.end_run()  # what dagster-mlflow's end_mlflow_on_run_finished hook does for jobs


def without_media_records(root: Path, keys: list[str]) -> list[str]:
    """The partitions whose ``media`` or ``transcripts`` record is not in the data folder (a folder
    from before the records were stored there, or a record someone removed): predictions read both."""
    stored = (PREPARED_FILE, TRANSCRIPT_FILE)
    return [k for k in keys if not all((root / f.format(partition=k)).exists() for f in stored)]


def predict_all(defs: dg.Definitions, instance: dg.DagsterInstance, keys: list[str]) -> dict[str, bool]:
    """Run the prediction job for every media partition (the media pipeline first where its records are
    missing); returns success per partition."""
    job = defs.resolve_job_def("predict_media")
    root = Path((defs.resources or {})["storage"].root)
    clean_up_after_dead_processes(instance, root)
    rebuild = set(without_media_records(root, keys))
    media_job = defs.resolve_job_def("media_pipeline")
    outcome = {}
    with Progress("predicting", len(keys), "files", every_s=0.0) as progress:
        for key in keys:
            tags = {"emotion_platform/trigger": "cli-predict"}
            ready = key not in rebuild or run_partition(media_job, key, instance, tags).success
            outcome[key] = ready and run_partition(job, key, instance, tags).success
            progress.advance(last=f"{key} ({'ok' if outcome[key] else 'failed'})")
    return outcome
