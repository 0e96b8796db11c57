"""The inbox sensor: new files in the inbox become media partitions and runs; unfinished ones run again."""

import json
from pathlib import Path

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import MEDIA_PARTITIONS_NAME
from emotion_platform.lib.media.admission import admit
from emotion_platform.lib.media.inbox import scan_inbox
from emotion_platform.lib.recovery import sweep_orphans
from emotion_platform.recovery import ATTEMPT_TAG, fail_runs_of_dead_processes, partitions_to_recover
from emotion_platform.resources import StorageResource

CURSOR_VERSION = 1


def load_cursor(cursor: str | None) -> dict[str, str]:
    """The fingerprints seen so far, by inbox-relative path."""
    if not cursor:
        return {}
    data = json.loads(cursor)
    if data.get("v") != CURSOR_VERSION:
        return {}
    return dict(data["seen"])


def dump_cursor(seen: dict[str, str]) -> str:
    return json.dumps({"v": CURSOR_VERSION, "seen": seen}, separators=(",", ":"), sort_keys=True)


# The asset whose materialization means a partition's media pipeline is finished.
FINAL_ASSET = dg.AssetKey("transcripts")


def build_inbox_sensor(job, minimum_interval_seconds: int = 30, recovery_attempts: int = 3) -> dg.SensorDefinition:
    """A sensor that admits settled inbox files and requests ``job`` for each new media partition.

    Each tick also requests ``job`` again for registered partitions that never finished (their run's
    process died, or the run was never launched), up to ``recovery_attempts`` runs per partition.
    """

    @dg.sensor(
        name="inbox_sensor",
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Watches the inbox folder; each new file becomes a media partition and a run.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SensorResult:
        seen = load_cursor(context.cursor)
        scan = scan_inbox(storage.inbox_path, seen, settle_s=storage.settle_s)
        new_keys: list[str] = []
        rejected: list[str] = []
        existing = set(context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
        for item in scan.ready:
            try:
                admission = admit(item, storage.media_store, storage.max_bytes)
            except OSError as error:
                context.log.warning(f"{item.relpath}: {error}; will retry")
                scan.present.pop(item.relpath, None)
                continue
            if admission.rejection is not None:
                rejected.append(f"{item.relpath}: {admission.rejection.reason}")
            elif (
                admission.media_id is not None
                and admission.media_id not in existing
                and admission.media_id not in new_keys
            ):
                new_keys.append(admission.media_id)
        for line in rejected:
            context.log.warning(f"quarantined {line}")
        cursor = dump_cursor(scan.present)
        requests = [dg.RunRequest(run_key=key, partition_key=key) for key in new_keys]
        requests += recovery_requests(context, storage, job.name, set(new_keys), recovery_attempts)
        if not requests:
            reason = f"no new media ({len(rejected)} rejected, {len(scan.settling)} still being written)"
            return dg.SensorResult(skip_reason=reason, cursor=cursor)
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[media_partitions.build_add_request(new_keys)] if new_keys else [],
            cursor=cursor,
        )

    return inbox_sensor


def recovery_requests(
    context: dg.SensorEvaluationContext, storage: StorageResource, job_name: str, new_keys: set[str], max_attempts: int
) -> list[dg.RunRequest]:
    """Runs again for partitions left unfinished by a dead process (after sweeping its temporary files)."""
    dead_runs = fail_runs_of_dead_processes(context.instance)
    for run_id in dead_runs:
        context.log.warning(f"run {run_id} lost its process; marked failed")
    plan = partitions_to_recover(context.instance, job_name, FINAL_ASSET, max_attempts, exclude=new_keys)
    if dead_runs or plan.requests:
        for path in sweep_orphans(Path(storage.root)):
            context.log.info(f"removed {path}, left by a process that died while writing it")
    for key in plan.given_up:
        context.log.warning(f"{key}: {max_attempts} runs failed; not retried again until a person looks at it")
    for item in plan.requests:
        context.log.warning(f"{item.partition_key}: unfinished, requesting run {item.attempt} of {max_attempts}")
    return [
        dg.RunRequest(run_key=item.run_key, partition_key=item.partition_key, tags={ATTEMPT_TAG: str(item.attempt)})
        for item in plan.requests
    ]
