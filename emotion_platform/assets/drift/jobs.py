"""The drift job, and the schedule that judges each day's media before the day ends."""

import dagster as dg

drift_job = dg.define_asset_job(
    name="drift_monitoring",
    selection=dg.AssetSelection.assets("drift_report"),
    description="Drift report (and drift_check) of one day of new media against the champion's reference profile.",
)


@dg.schedule(
    job=drift_job,
    cron_schedule="50 23 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def drift_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """At 23:50 UTC: the drift report of the day's media (a failing check then triggers retraining)."""
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=f"drift-report-{day}", partition_key=day)
