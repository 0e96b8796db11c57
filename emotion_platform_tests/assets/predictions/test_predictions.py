"""The predictions assets on a real video without audio: the face branch gives it emotions.

A small real bundle is registered in MLflow (sqlite) and made champion; the talking-head sample
goes through the real media, transcripts, segment_emotions and media_emotions assets.
"""

import json
import shutil
from pathlib import Path

import dagster as dg
import mlflow
import pytest

from emotion_platform.assets.media.assets import media
from emotion_platform.assets.predictions.assets import media_emotions, segment_emotions
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.lib.media.admission import admit
from emotion_platform.lib.media.inbox import scan_inbox
from emotion_platform.lib.tracking import ModelRegistry, ensure_experiment, log_bundle
from emotion_platform.resources.mlflow import ChampionModelResource
from emotion_platform_tests.small_bundle import small_bundle

MODEL = "emotion-predictions-test"


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


def test_silent_talking_head_gets_face_based_emotions(storage, samples, fast_transcriber, champion) -> None:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    shutil.copyfile(samples["talking_head.mp4"], inbox / "talking_head.mp4")
    (item,) = scan_inbox(inbox, {}, settle_s=0).ready
    key = admit(item, storage.media_store, storage.max_bytes).media_id
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("media_files", [key])
        result = dg.materialize([media, transcripts, segment_emotions, media_emotions], partition_key=key,
                                instance=instance, resources={"storage": storage, "transcriber": fast_transcriber,
                                                              "champion": champion})
    assert result.success
    record = json.loads(Path(result.asset_value("segment_emotions")).read_text())
    assert record["transcript_status"] == "no_audio" and record["face_model"].startswith("PyEmotion==1.0.0")
    (segment,) = record["segments"]
    assert segment["face_branch"] and segment["emotions"] == segment["face_branch"]
    assert segment["face_evidence"]["frames"] == 8 and segment["face_evidence"]["frames_with_faces"] >= 6
    meta = result.asset_materializations_for_node("segment_emotions")[0].metadata
    assert meta["segments_with_faces"].value == 1 and meta["video_frames"].value is True
    assert "faces /" in meta["preview"].value
    summary = result.asset_materializations_for_node("media_emotions")[0].metadata
    assert summary["dominant"].value == segment["top"]
    assert summary["timeline"].value.startswith("![emotion timeline](data:image/png;base64,")
