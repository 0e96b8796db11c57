"""``reference_profile`` and ``drift_report`` (with its ``drift_check``): is new media still like the training data?"""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from emotion_platform.assets.drift.resources import DriftMonitorResource
from emotion_platform.assets.models.champion import champion_model
from emotion_platform.constants import DRIFT_GROUP
from emotion_platform.lib import atomic
from emotion_platform.lib.drift.columns import profile_columns
from emotion_platform.lib.drift.inputs import inputs_from_segments, segment_records_between
from emotion_platform.lib.drift.mlflow_runs import log_drift_report, log_reference
from emotion_platform.lib.drift.reference import (
    REFERENCE_RECORD_FILE,
    ReferenceRecord,
    build_reference,
    reference_dir,
)
from emotion_platform.lib.drift.report import DriftSummary, compare
from emotion_platform.lib.features import MediaFeatures, features_path
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource
from emotion_platform.resources.mlflow import ChampionModelResource, DatasetsResource
from emotion_platform.resources.record_io import stored_at

DRIFT_CHECK = "drift_check"
drift_windows = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)
"""One window per UTC day of new media (the current day included, so it can be judged before it ends)."""


class ReferenceProfileConfig(dg.Config):
    embedding_components: int = Field(16, description="Principal components of the text embedding kept as columns.")
    max_rows_per_source: int = Field(1000, description="Training examples profiled per dataset (seeded sample).")
    seed: int = Field(0, description="Fixes the sample.")
    sources: list[str] = Field(
        [],
        description="Profile only these training sources (e.g. the speech datasets "
        "when new media is speech only); empty: every source.",
    )


@dg.asset(
    group_name=DRIFT_GROUP,
    kinds={"pandas"},
    deps=[champion_model],
    automation_condition=dg.AutomationCondition.eager(),
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(REFERENCE_RECORD_FILE),
)
def reference_profile(
    config: ReferenceProfileConfig,
    splits: pd.DataFrame,
    storage: StorageResource,
    datasets: DatasetsResource,
    champion: ChampionModelResource,
    drift_monitor: DriftMonitorResource,
) -> dg.MaterializeResult[ReferenceRecord]:
    """The champion's training data in drift columns (and the fitted embedding PCA), stored with its version."""
    bundle, version = champion.get()
    train = splits[splits["split"] == "train"]
    if config.sources:
        unknown = set(config.sources) - set(train["source"])
        if unknown:
            raise dg.Failure(f"sources {sorted(unknown)} are not in the training data ({sorted(set(train['source']))})")
        train = train[train["source"].isin(config.sources)]
    profile = build_reference(
        bundle,
        train,
        Path(datasets.feature_cache),
        model_name=champion.model_name,
        model_version=version,
        n_components=config.embedding_components,
        max_rows_per_source=config.max_rows_per_source,
        seed=config.seed,
    )
    folder = profile.save(reference_dir(Path(storage.root), champion.model_name, version))
    mlflow_run = log_reference(drift_monitor.tracking_uri, champion.model_name, version, folder)
    stats = profile.frame.describe().T[["count", "mean", "std", "min", "max"]].round(3)
    record = ReferenceRecord(
        model_name=champion.model_name,
        model_version=version,
        folder=str(folder),
        rows=len(profile.frame),
        mlflow_run_id=mlflow_run,
    )
    return dg.MaterializeResult(
        value=record,
        metadata={
            "model_version": version,
            "rows": len(profile.frame),
            "columns": len(profile.frame.columns),
            "rows_per_source": dg.MetadataValue.json(profile.meta["rows_per_source"]),
            "embedding_components": profile.reducer.k,
            "mlflow_run_id": mlflow_run,
            "column_statistics": dg.MetadataValue.md(stats.to_markdown()),
            "folder": dg.MetadataValue.path(str(folder)),
        },
    )


def _summary_markdown(summary: DriftSummary) -> str:
    if not summary.columns:
        return f"not judged: {summary.reason}"
    table = summary.table()
    table["p_value"] = table["p_value"].map(lambda p: f"{p:.2e}")
    table["threshold"] = table["threshold"].map(lambda p: f"{p:.2e}")
    table["drifted"] = table["drifted"].map({True: "**yes**", False: "no"})
    return table.to_markdown(index=False)


def _check_result(summary: DriftSummary, window: str, html: Path | None, mlflow_run: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=DRIFT_CHECK,
        passed=not summary.dataset_drift,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary.reason,
        metadata={
            "window": window,
            "evaluated": summary.evaluated,
            "rows": summary.rows,
            "drifted_share": round(summary.drifted_share, 4),
            "drift_share_threshold": summary.policy["drift_share"],
            "drifted_columns": ", ".join(summary.drifted_columns) or "none",
            "report_html": str(html) if html else "none",
            "mlflow_run_id": mlflow_run,
            "reason": summary.reason,
        },
    )


@dg.asset(
    group_name=DRIFT_GROUP,
    kinds={"evidently", "mlflow"},
    partitions_def=drift_windows,
    check_specs=[
        dg.AssetCheckSpec(
            DRIFT_CHECK,
            asset="drift_report",
            description="Warns when the share of drifted columns reaches the threshold.",
        )
    ],
)
def drift_report(
    context: dg.AssetExecutionContext,
    reference_profile: ReferenceRecord,
    storage: StorageResource,
    champion: ChampionModelResource,
    drift_monitor: DriftMonitorResource,
):
    """An Evidently data-drift report of one day of new media against the reference profile (HTML + summary)."""
    window = context.partition_key
    start, end = context.partition_time_window
    reference = reference_profile.profile()
    bundle, version = champion.get()
    if version != reference.model_version:
        raise dg.Failure(
            f"the reference profile belongs to model version {reference.model_version}, the champion "
            f"is version {version}: materialize reference_profile first"
        )
    records = segment_records_between(Path(storage.root) / "predictions", start, end)

    def features_of(media_id: str) -> MediaFeatures | None:
        path = features_path(Path(storage.root), media_id)
        return MediaFeatures.load(path) if path.exists() else None

    rows = inputs_from_segments(records, features_of)
    frame = profile_columns(bundle, rows, reference.reducer)[0] if len(rows) else reference.frame.iloc[:0]
    snapshot, summary = compare(reference.frame, frame, drift_monitor.policy)
    out = Path(storage.root) / "drift" / "reports" / window
    files = [
        atomic.write_json(
            out / "summary.json",
            summary.to_dict()
            | {
                "window": window,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "model_version": version,
                "media": [r.media_id for r in records],
            },
            stage="drift_report",
        )
    ]
    atomic.write_parquet(out / "window.parquet", frame)
    html = None
    if snapshot is not None:
        html = out / "report.html"
        with atomic.atomic_path(html) as tmp:
            snapshot.save_html(str(tmp))
        files.append(html)
    mlflow_run = log_drift_report(
        drift_monitor.tracking_uri,
        drift_monitor.experiment,
        drift_monitor.artifact_root,
        window,
        summary,
        files,
        {"dagster_run_id": context.run.run_id, "model_version": version},
    )
    context.log.info(f"window {window}: {summary.reason}")
    metadata = {
        "window": f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC",
        "media_files": len(records),
        "rows": summary.rows,
        "reference_rows": summary.reference_rows,
        "evaluated": summary.evaluated,
        "dataset_drift": summary.dataset_drift,
        "drifted_share": round(summary.drifted_share, 4),
        "drifted_columns": f"{summary.drifted_count} of {summary.tested_count}",
        "tests": "K-S (numeric), chi-squared two-sample (predicted_label); Bonferroni over the tested columns",
        "per_column_p_threshold": float(f"{summary.per_column_threshold:.3g}"),
        "reason": summary.reason,
        "model_version": version,
        "mlflow_run_id": mlflow_run,
        "summary": dg.MetadataValue.md(_summary_markdown(summary)),
        "summary_json": dg.MetadataValue.path(str(files[0])),
    }
    if html is not None:
        metadata["report_html"] = dg.MetadataValue.path(str(html))
        metadata["report_link"] = dg.MetadataValue.url(html.resolve().as_uri())
    record = {
        "window": window,
        "summary": summary.to_dict(),
        "report_html": str(html) if html else None,
        "mlflow_run_id": mlflow_run,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return dg.MaterializeResult(
        value=record, metadata=metadata, check_results=[_check_result(summary, window, html, mlflow_run)]
    )


DRIFT_ASSETS = [reference_profile, drift_report]
