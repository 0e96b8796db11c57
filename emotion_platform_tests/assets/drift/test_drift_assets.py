"""The drift assets in a real Dagster instance with a real MLflow (sqlite), and the retraining sensor.

A small real champion (2-layer BERT text branch, Whisper-encoder speech branch trained on RAVDESS
clips, words/voice fusion) is registered; ``reference_profile`` profiles RAVDESS training clips; two
days of "new media" are written the way the features and prediction stages write them (a features
file per media file and its segment records; no decoded audio is kept, so the report can only read
the stored features): day one holds other RAVDESS training clips (no drift expected), day two EmoDB
clips (drift expected). The sensor must request exactly one retraining run for the failing report,
none for a second failing report inside the cooldown, none for the passing one.
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import mlflow
import pandas as pd
import pytest

from emotion_platform.assets.drift.assets import drift_report, reference_profile
from emotion_platform.assets.drift.resources import DriftMonitorResource
from emotion_platform.assets.drift.sensors import TAG_PREFIX, build_drift_retraining_sensor
from emotion_platform.assets.models.training_data import splits, training_examples
from emotion_platform.jobs import training_job
from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.drift.reference import REFERENCE_RECORD_FILE, ReferenceRecord, sample_per_source
from emotion_platform.lib.features import features_path, media_features
from emotion_platform.lib.predict import SEGMENTS_FILE, SegmentEmotion, SegmentPredictions, segment_emotions
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment, log_bundle
from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform.resources import (
    PARQUET_IO_MANAGER,
    RECORD_IO_MANAGER,
    ParquetIOManager,
    RecordIOManager,
    StorageResource,
)
from emotion_platform.resources.mlflow import ChampionModelResource, DatasetsResource
from emotion_platform.settings import PlatformSettings
from emotion_platform_tests.small_bundle import small_bundle

pytestmark = pytest.mark.slow

MODEL = "emotion-drift-test"
SAME_DAY, SHIFT_DAY = "2026-11-20", "2026-11-21"
WINDOW, REFERENCE_ROWS, SEED = 32, 160, 3
PROFILE_CONFIG = {
    "sources": ["ravdess_speech"],
    "max_rows_per_source": REFERENCE_ROWS,
    "seed": SEED,
    "embedding_components": 8,
}


def datasets_dir() -> Path:
    return PlatformSettings().datasets_dir


def feature_cache() -> Path:
    return PlatformSettings().cache_dir / "features"


def _write_record(root: Path, record: SegmentPredictions, when: float) -> None:
    path = record.save(root / SEGMENTS_FILE.format(partition=record.media_id))
    os.utime(path, (when, when))


def _write_media(root: Path, bundle: EmotionBundle, clips: pd.DataFrame, day: str, prefix: str) -> None:
    """Each clip as one media file with one transcript segment (its sentence), described by ``media_features``
    (stored where the ``features`` asset stores it) and predicted from those features, written during ``day``."""
    noon = dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC).timestamp()
    for i, clip in enumerate(clips.itertuples()):
        media_id = f"{prefix}{i:03d}"
        audio = load_clip(clip.audio_path)
        duration = audio.size / SAMPLE_RATE
        transcript = Transcript(
            status="ok",
            language="en",
            duration_s=duration,
            segments=[Segment(id=0, start=0.0, end=duration, text=clip.text, avg_logprob=-0.2, no_speech_prob=0.01)],
        )
        found = media_features(bundle, transcript, audio, media_id)
        found.save(features_path(root, media_id))
        record = SegmentPredictions(
            media_id=media_id, model_version="1", transcript_status="ok", segments=segment_emotions(bundle, found)
        )
        _write_record(root, record, noon + i)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-platform")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    bundle = small_bundle(root / "work")
    bundle_dir = bundle.save(root / "bundle")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run(experiment_id=ensure_experiment(uri, "drift-test", root / "artifacts")):
        info = log_bundle(bundle_dir, MODEL, ["torch", "transformers"], uri)
    ModelRegistry(uri, MODEL).promote(str(info.registered_model_version), "drift test")
    resources = {
        "storage": StorageResource(root=str(root / "data"), inbox=str(root / "inbox")),
        PARQUET_IO_MANAGER: ParquetIOManager(root=str(root / "data")),
        RECORD_IO_MANAGER: RecordIOManager(root=str(root / "data")),
        "datasets": DatasetsResource(root=str(datasets_dir()), feature_cache=str(feature_cache())),
        "champion": ChampionModelResource(tracking_uri=uri, model_name=MODEL),
        "drift_monitor": DriftMonitorResource(
            tracking_uri=uri, artifact_root=str(root / "artifacts"), experiment="drift-test-reports"
        ),
    }
    with dg.instance_for_test() as instance:
        yield {
            "root": root,
            "uri": uri,
            "resources": resources,
            "instance": instance,
            "bundle": bundle,
            "data": root / "data",
        }


def _report(platform, day: str):
    result = dg.materialize(
        [training_examples, splits, reference_profile, drift_report],
        selection=[drift_report],
        partition_key=day,
        instance=platform["instance"],
        resources=platform["resources"],
    )
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "drift_check")
    return result, check


def test_reference_reports_checks_and_retraining_sensor(platform) -> None:
    instance, resources = platform["instance"], platform["resources"]
    data_config = {"text_sources": ["meld"], "speech_sources": ["ravdess_speech"], "seed": 13}
    built = dg.materialize(
        [training_examples, splits, reference_profile],
        instance=instance,
        resources=resources,
        run_config={
            "ops": {
                "training_examples": {"config": data_config},
                "splits": {"config": data_config},
                "reference_profile": {"config": PROFILE_CONFIG},
            }
        },
    )
    assert built.success
    record = built.asset_value("reference_profile")
    folder = Path(record.folder)
    assert folder.name == f"{MODEL}-v1" and (folder / "profile.parquet").exists()
    assert (record.model_version, record.rows) == ("1", REFERENCE_ROWS)
    assert ReferenceRecord.load(platform["data"] / REFERENCE_RECORD_FILE) == record
    meta = built.asset_materializations_for_node("reference_profile")[0].metadata
    assert meta["model_version"].value == "1" and meta["rows"].value == REFERENCE_ROWS
    client = mlflow.tracking.MlflowClient(platform["uri"], registry_uri=platform["uri"])
    model_run = client.get_model_version(MODEL, "1").run_id
    assert {a.path for a in client.list_artifacts(model_run, "drift_reference")} >= {
        "drift_reference/profile.parquet",
        "drift_reference/reducer.npz",
    }

    train = built.asset_value("splits")
    train = train[(train["split"] == "train") & (train["source"] == "ravdess_speech")]
    in_reference = sample_per_source(train, REFERENCE_ROWS, SEED)["example_id"]
    unseen = train[~train["example_id"].isin(in_reference)].sample(WINDOW, random_state=SEED)
    emodb = load_speech(datasets_dir(), ["emodb_2s"]).sample(WINDOW, random_state=SEED)
    _write_media(platform["data"], platform["bundle"], unseen, SAME_DAY, "ravdess-")
    _write_media(platform["data"], platform["bundle"], emodb, SHIFT_DAY, "emodb-")
    # A prediction record whose features file is gone: its segments are not profiled (nothing is recomputed).
    noon = dt.datetime.fromisoformat(SAME_DAY).replace(hour=12, tzinfo=dt.UTC).timestamp()
    no_features = SegmentPredictions(
        media_id="no-features",
        model_version="1",
        transcript_status="ok",
        segments=[
            SegmentEmotion(
                start=0.0,
                end=2.0,
                text="Hello there.",
                text_branch=None,
                speech_branch=None,
                face_branch=None,
                face_evidence=None,
                emotions=None,
                top=None,
                confidence=None,
                low_confidence=False,
            )
        ],
    )
    _write_record(platform["data"], no_features, noon + 900)
    assert not (platform["data"] / "media" / "audio").exists()  # no decoded audio to fall back on

    sensor = build_drift_retraining_sensor(training_job, cooldown_hours=12)
    assert sensor.job_name == "train_and_promote"

    same, same_check = _report(platform, SAME_DAY)
    assert same.success and same_check.passed, same_check.metadata["reason"].value
    summary = same.asset_value("drift_report")["summary"]
    assert summary["evaluated"] and summary["rows"] == WINDOW
    window = pd.read_parquet(platform["data"] / "drift" / "reports" / SAME_DAY / "window.parquet")
    assert len(window) == WINDOW and window["duration_s"].notna().all() and window["predicted_label"].notna().all()
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert not tick.run_requests and "none failed" in tick.skip_message

    shifted, shift_check = _report(platform, SHIFT_DAY)
    assert shifted.success  # a warning check: the report itself succeeds
    assert not shift_check.passed and shift_check.severity == dg.AssetCheckSeverity.WARN
    metadata = shifted.asset_materializations_for_node("drift_report")[0].metadata
    html = Path(metadata["report_html"].value)
    assert html.exists() and "duration_s" in html.read_text()
    assert metadata["dataset_drift"].value is True and "duration_s" in metadata["summary"].value
    mlflow_run = client.get_run(metadata["mlflow_run_id"].value)
    assert mlflow_run.data.metrics["dataset_drift"] == 1.0
    assert "drift_report/report.html" in {a.path for a in client.list_artifacts(mlflow_run.info.run_id, "drift_report")}

    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.tags[f"{TAG_PREFIX}drift_window"] == SHIFT_DAY
    assert request.tags[f"{TAG_PREFIX}drift_report"] == str(html)
    assert request.tags[f"{TAG_PREFIX}drift_report_run"] == shifted.run_id
    assert "columns drifted" in request.tags[f"{TAG_PREFIX}drift_reason"]
    assert request.run_key.startswith(f"drift-retrain:{SHIFT_DAY}:")

    again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    assert not again.run_requests  # the same drift event is never retrained twice

    second, second_check = _report(platform, SHIFT_DAY)
    assert not second_check.passed
    cooled = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=again.cursor))
    assert not cooled.run_requests and "cooldown" in cooled.skip_message
    history = json.loads(cooled.cursor)["history"]
    assert [h["action"] for h in history] == ["retrain", "skipped"]


def test_drift_definitions_are_registered() -> None:
    from emotion_platform.definitions import defs

    groups = {spec.key.to_user_string(): spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups["reference_profile"] == groups["drift_report"] == "drift"
    sensor = defs.resolve_sensor_def("drift_retraining_sensor")
    assert sensor.job_name == "train_and_promote" and sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("drift_report_schedule").job_name == "drift_monitoring"
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert "drift_check" in checks
