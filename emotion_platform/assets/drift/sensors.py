"""Retraining without a person: a failing ``drift_check`` requests one run of the training job.

Each new failing evaluation of the check is one drift event. It gets one run request with the run
key ``drift-retrain:<window>:<evaluation id>`` (Dagster never launches a run key twice), unless a
retraining was started less than the cooldown before it; skipped events are logged on the tick.
The retraining run is the ordinary ``train_and_promote`` job, so its candidate still has to pass the
promotion gate. Its tags record why it ran, which report, and which run produced the report.
"""

import dagster as dg

from emotion_platform.assets.drift.assets import DRIFT_CHECK
from emotion_platform.lib.drift.trigger import CheckEvent, TriggerState, decide_retrain

DRIFT_CHECK_KEY = dg.AssetCheckKey(dg.AssetKey("drift_report"), DRIFT_CHECK)
TAG_PREFIX = "emotion_platform/"
_COMPLETED = {"SUCCEEDED", "FAILED"}


def _text(metadata, key: str) -> str:
    value = metadata.get(key)
    return "" if value is None else str(getattr(value, "value", value))


def drift_check_events(instance: dg.DagsterInstance, after_id: int, limit: int = 100) -> list[CheckEvent]:
    """Completed evaluations of the drift check newer than ``after_id`` (oldest first)."""
    records = instance.event_log_storage.get_asset_check_execution_history(DRIFT_CHECK_KEY, limit=limit)
    events = []
    for record in records:
        if record.id <= after_id or record.event is None or record.status.value not in _COMPLETED:
            continue
        evaluation = record.event.get_dagster_event().asset_check_evaluation_data
        metadata = evaluation.metadata
        events.append(
            CheckEvent(
                id=record.id,
                run_id=record.run_id,
                window=_text(metadata, "window") or record.partition,
                passed=evaluation.passed,
                timestamp=record.create_timestamp,
                report=_text(metadata, "report_html"),
                reason=_text(metadata, "reason"),
            )
        )
    return sorted(events, key=lambda e: e.id)


def retraining_request(event: CheckEvent) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=event.run_key,
        tags={
            f"{TAG_PREFIX}trigger": "drift",
            f"{TAG_PREFIX}drift_window": event.window or "",
            f"{TAG_PREFIX}drift_report": event.report,
            f"{TAG_PREFIX}drift_report_run": event.run_id,
            f"{TAG_PREFIX}drift_check_evaluation": str(event.id),
            f"{TAG_PREFIX}drift_reason": event.reason[:500],
        },
    )


def build_drift_retraining_sensor(job, cooldown_hours: float = 12.0, minimum_interval_seconds: int = 60):
    """The sensor that turns failing drift checks into runs of ``job`` (the training job)."""

    @dg.sensor(
        name="drift_retraining_sensor",
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Retrains when drift_check fails: one run per drift event, at most one per {cooldown_hours:g} h.",
    )
    def drift_retraining_sensor(context: dg.SensorEvaluationContext):
        state = TriggerState.from_cursor(context.cursor)
        events = drift_check_events(context.instance, state.last_event_id)
        decision = decide_retrain(events, state, cooldown_hours * 3600)
        context.update_cursor(decision.state.to_cursor())
        for event, why in decision.skipped:
            context.log.info(f"no retraining for check evaluation {event.id}: {why}")
        for event in decision.triggered:
            context.log.info(
                f"retraining for drift in window {event.window} (check evaluation {event.id}, "
                f"run {event.run_id}): {event.reason}; report {event.report}"
            )
        if not decision.triggered:
            why = "; ".join(w for _, w in decision.skipped) or (
                f"{len(events)} new drift-check evaluation(s), none failed"
            )
            return dg.SkipReason(why)
        return [retraining_request(event) for event in decision.triggered]

    return drift_retraining_sensor
