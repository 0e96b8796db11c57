"""The inbox sensor: new files in the inbox become media partitions and runs."""

import json

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.lib.media.admission import admit
from emotion_platform.lib.media.inbox import scan_inbox
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


def build_inbox_sensor(job, minimum_interval_seconds: int = 30) -> dg.SensorDefinition:
    """A sensor that admits settled inbox files and requests ``job`` for each new media partition."""

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
        existing = set(context.instance.get_dynamic_partitions(media_partitions.name))
        for item in scan.ready:
            try:
                admission = admit(item, storage.media_store, storage.max_bytes)
            except OSError as error:
                context.log.warning(f"{item.relpath}: {error}; will retry")
                scan.present.pop(item.relpath, None)
                continue
            if admission.rejection is not None:
                rejected.append(f"{item.relpath}: {admission.rejection.reason}")
            elif admission.media_id not in existing and admission.media_id not in new_keys:
                new_keys.append(admission.media_id)
        for line in rejected:
            context.log.warning(f"quarantined {line}")
        cursor = dump_cursor(scan.present)
        if not new_keys:
            reason = f"no new media ({len(rejected)} rejected, {len(scan.settling)} still being written)"
            return dg.SensorResult(skip_reason=reason, cursor=cursor)
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=key, partition_key=key) for key in new_keys],
            dynamic_partitions_requests=[media_partitions.build_add_request(new_keys)],
            cursor=cursor,
        )

    return inbox_sensor
