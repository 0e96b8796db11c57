"""The features and predictions assets on real media, with a small real champion from MLflow.

A small real bundle (tiny BERT text branch, Whisper-encoder speech branch, words/voice fusion, face
branch) is registered in MLflow (sqlite) and made champion. Real files go through the real media,
transcripts, features, segment_emotions and media_emotions assets: a silent talking-head video gets
its emotions from the faces; a speech clip's features are computed once and read by the predictions.
"""

import json
import shutil
from pathlib import Path

import dagster as dg
import mlflow
import numpy as np
import pytest

from emotion_platform.assets.features.assets import features
from emotion_platform.assets.media.assets import media
from emotion_platform.assets.predictions.assets import media_emotions, segment_emotions
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.lib.features import MediaFeatures, features_path
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.media.admission import admit
from emotion_platform.lib.media.inbox import scan_inbox
from emotion_platform.lib.predict import LOW_CONFIDENCE
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment, log_bundle
from emotion_platform.resources import RECORD_IO_MANAGER, RecordIOManager
from emotion_platform.resources.mlflow import ChampionModelResource
from emotion_platform_tests.small_bundle import small_bundle

pytestmark = pytest.mark.slow

MODEL = "emotion-predictions-test"
PIPELINE = [media, transcripts, features, segment_emotions, media_emotions]


@pytest.fixture(scope="module")
def champion(tmp_path_factory) -> ChampionModelResource:
    root = tmp_path_factory.mktemp("champion")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    experiment = ensure_experiment(uri, "predictions-test", root / "artifacts")
    bundle_dir = small_bundle(root / "work").save(root / "bundle")
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        with mlflow.start_run(experiment_id=experiment):
            info = log_bundle(bundle_dir, MODEL, ["emotion_platform"], uri)
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
    ModelRegistry(uri, MODEL).promote(str(info.registered_model_version), "test champion")
    return ChampionModelResource(tracking_uri=uri, model_name=MODEL)


def _resources(storage, transcriber, champion) -> dict:
    return {
        "storage": storage,
        "transcriber": transcriber,
        "champion": champion,
        RECORD_IO_MANAGER: RecordIOManager(root=storage.root),
    }


def _ingest(storage, source: Path) -> str:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, inbox / source.name)
    (item,) = scan_inbox(inbox, {}, settle_s=0).ready
    return admit(item, storage.media_store, storage.max_bytes).media_id


def _materializations(instance, asset: str, key: str) -> int:
    return len(
        instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=100
        ).records
    )


def assert_confidence(segment: dict) -> None:
    """Every record carries a confidence (its top fused probability) and whether that is low."""
    if segment["emotions"] is None:
        assert segment["confidence"] is None and segment["low_confidence"] is False and segment["top"] is None
        return
    assert list(segment["emotions"]) == list(EMOTIONS)
    assert segment["confidence"] == max(segment["emotions"].values())
    assert segment["top"] == max(segment["emotions"], key=segment["emotions"].get)
    assert segment["low_confidence"] is (segment["confidence"] < LOW_CONFIDENCE)


def test_silent_talking_head_gets_face_based_emotions(storage, samples, fast_transcriber, champion) -> None:
    key = _ingest(storage, samples["talking_head.mp4"])
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("media_files", [key])
        result = dg.materialize(
            PIPELINE,
            partition_key=key,
            instance=instance,
            resources=_resources(storage, fast_transcriber, champion),
        )
    assert result.success
    record = result.asset_value("segment_emotions").model_dump()
    assert record["transcript_status"] == "no_audio" and record["face_model"].startswith("PyEmotion==1.0.0")
    assert record["reason"] == "the file has no audio track (video only); the faces alone are read"
    # The record IO manager stored the record where its metadata says; the file reads back the same.
    stored = Path(result.asset_materializations_for_node("segment_emotions")[0].metadata["file"].value)
    assert stored == Path(storage.root) / "predictions" / f"{key}.segments.json"
    assert json.loads(stored.read_text()) == record
    (segment,) = record["segments"]
    assert segment["text_branch"] is None and segment["speech_branch"] is None  # no sound, no words
    assert segment["face_branch"] and segment["emotions"] == segment["face_branch"]
    assert segment["face_evidence"]["frames"] == 8 and segment["face_evidence"]["frames_with_faces"] >= 6
    assert_confidence(segment)
    found = result.asset_materializations_for_node("features")[0].metadata
    assert found["segments"].value == 1 and found["segments_with_faces"].value == 1
    assert found["segments_with_voice"].value == 0
    meta = result.asset_materializations_for_node("segment_emotions")[0].metadata
    assert meta["segments_with_faces"].value == 1
    assert meta["low_confidence_segments"].value == int(segment["low_confidence"])
    assert "faces /" in meta["preview"].value
    summary = result.asset_materializations_for_node("media_emotions")[0].metadata
    assert summary["dominant"].value == segment["top"]
    assert summary["timeline"].value.startswith("![emotion timeline](data:image/png;base64,")


def test_features_are_computed_once_and_read_by_the_predictions(storage, librivox, fast_transcriber, champion) -> None:
    key = _ingest(storage, librivox[0].path)
    resources = _resources(storage, fast_transcriber, champion)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("media_files", [key])
        first = dg.materialize(PIPELINE, partition_key=key, instance=instance, resources=resources)
        assert first.success
        stored = features_path(Path(storage.root), key)
        found = MediaFeatures.load(stored)
        assert found.spans == first.asset_value("features").spans
        bundle, _ = champion.get()
        assert len(found) > 0 and found.speech.shape == (len(found), bundle.speech.spec.dim)
        assert found.speech_spec_key == bundle.speech.spec.key and found.reason is None
        # Every segment has words, so its voice is embedded and described.
        assert not np.isnan(found.speech).any() and not np.isnan(found.descriptors).all(axis=1).any()
        meta = first.asset_materializations_for_node("features")[0].metadata
        assert meta["segments"].value == meta["segments_with_voice"].value == len(found)
        assert meta["segments_with_faces"].value == 0

        record = first.asset_value("segment_emotions").model_dump()
        assert record["transcript_status"] == "ok" and record["reason"] is None
        assert [(s["start"], s["end"]) for s in record["segments"]] == found.spans
        assert [s["text"] for s in record["segments"]] == found.texts
        expected_speech = bundle.speech.predict_proba(found.speech)
        for segment, speech_p in zip(record["segments"], expected_speech, strict=True):
            assert segment["text_branch"] and segment["face_branch"] is None
            assert np.allclose([segment["speech_branch"][e] for e in EMOTIONS], speech_p, atol=1e-4)
            assert_confidence(segment)
        summary = json.loads((Path(storage.root) / "predictions" / f"{key}.summary.json").read_text())
        assert summary["segments"] == len(found) and summary["dominant"] in EMOTIONS

        # The decoded audio is gone: segment_emotions is read from the stored features, not recomputed.
        storage.media_store.audio_path(key).unlink()
        again = dg.materialize(
            PIPELINE,
            partition_key=key,
            instance=instance,
            resources=resources,
            selection=[segment_emotions, media_emotions],
        )
        assert again.success
        assert again.asset_value("segment_emotions").model_dump() == record
        assert _materializations(instance, "features", key) == 1
        assert _materializations(instance, "segment_emotions", key) == 2

        # Features of another speech encoder are refused rather than read with the wrong head.
        other = MediaFeatures.load(stored)
        other.speech_spec_key = "another-encoder"
        other.save(stored)
        refused = dg.materialize(
            PIPELINE,
            partition_key=key,
            instance=instance,
            resources=resources,
            selection=[segment_emotions],
            raise_on_error=False,
        )
        assert not refused.success
        failure = next(e for e in refused.all_events if e.event_type_value == "STEP_FAILURE")
        assert "materialize features again" in failure.event_specific_data.error.message
