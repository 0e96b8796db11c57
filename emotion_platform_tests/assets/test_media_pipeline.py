"""The media -> transcripts stage end to end: sensor, real ffmpeg, real Whisper, a real Dagster instance.

A batch mixing a corpus of bad inputs with real speech under awkward names goes through the
inbox sensor and the assets; each bad file ends with its reason, and the good files are transcribed.
"""

import json
from pathlib import Path

import dagster as dg
import pytest

from emotion_platform.assets.media.assets import media
from emotion_platform.assets.media.sensors import build_inbox_sensor
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.jobs import media_pipeline_job
from emotion_platform.lib.media.quarantine import list_quarantined
from emotion_platform.lib.transcription.types import Transcript
from emotion_platform.lib.wer import word_error_rate
from emotion_platform.resources import StorageResource
from emotion_platform_tests.media_corpus import (
    MAX_BYTES,
    MAX_DURATION_S,
    build_bad_corpus,
    build_good_files,
    settle,
)


@pytest.fixture(scope="module")
def processed(tmp_path_factory, samples, librivox, fast_transcriber):
    """Run one mixed batch through the sensor and the assets; return what a user could inspect."""
    root = tmp_path_factory.mktemp("platform")
    storage = StorageResource(root=str(root / "data"), inbox=str(root / "inbox"), settle_s=0.0,
                              max_bytes=MAX_BYTES, max_duration_s=MAX_DURATION_S)
    inbox = Path(storage.inbox)
    cases = build_bad_corpus(inbox, samples, librivox[0].path)
    good = build_good_files(inbox, [c.path for c in librivox])
    settle(inbox)
    resources = {"storage": storage, "transcriber": fast_transcriber}
    sensor = build_inbox_sensor(media_pipeline_job)
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources={"storage": storage}) as ctx:
            tick = sensor(ctx)
        for request in tick.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        results = {}
        for request in tick.run_requests:
            result = dg.materialize([media, transcripts], partition_key=request.partition_key,
                                    instance=instance, resources=resources)
            assert result.success, f"run for {request.partition_key} failed"
            results[request.partition_key] = result
        by_name = {}
        for key, result in results.items():
            manifest = json.loads(storage.media_store.manifest_path(key).read_text())
            media_meta = result.asset_materializations_for_node("media")[0].metadata
            checks = result.get_asset_check_evaluations()
            transcript = Transcript.model_validate_json(storage.media_store.transcript_path(key).read_text())
            by_name[manifest["original_name"]] = {
                "key": key, "media": {k: getattr(v, "value", v) for k, v in media_meta.items()},
                "check_passed": checks[0].passed, "transcript": transcript,
            }
    return {"cases": cases, "good": good, "by_name": by_name, "storage": storage,
            "quarantine": list_quarantined(storage.media_store), "librivox": librivox}


def test_the_corpus_has_at_least_twelve_kinds_of_bad_input(processed) -> None:
    assert len({c.expected for c in processed["cases"]}) >= 8
    assert len(processed["cases"]) >= 12


def test_admission_rejections_never_become_partitions(processed) -> None:
    quarantined = {r["original_name"]: r for r in processed["quarantine"]}
    for case in processed["cases"]:
        if case.stage == "admission":
            assert case.name not in processed["by_name"]
            assert quarantined[case.name]["code"] == case.expected
            assert quarantined[case.name]["reason"]


def test_decode_rejections_are_quarantined_with_a_failed_check(processed) -> None:
    quarantined_by_id = {r["item_id"]: r for r in processed["quarantine"]}
    for case in processed["cases"]:
        if case.stage != "decode":
            continue
        outcome = processed["by_name"][case.name]
        assert outcome["media"]["status"] == "quarantined", case.name
        assert outcome["media"]["reason_code"] == case.expected, (case.name, outcome["media"]["reason"])
        assert not outcome["check_passed"]
        assert outcome["transcript"].status == "skipped"
        assert outcome["media"]["reason"] in outcome["transcript"].reason
        record = quarantined_by_id[outcome["key"]]
        assert (record["code"], record["stage"]) == (case.expected, "decode")


def test_valid_media_with_nothing_to_say_gets_an_empty_transcript_and_reason(processed) -> None:
    for case in processed["cases"]:
        if case.stage != "transcript":
            continue
        outcome = processed["by_name"][case.name]
        assert outcome["media"]["status"] == "ready" and outcome["check_passed"]
        assert outcome["transcript"].status == case.expected, (case.name, outcome["transcript"].text)
        assert outcome["transcript"].reason and not outcome["transcript"].segments


def test_video_without_audio_gives_frames_and_a_clear_no_audio_outcome(processed) -> None:
    outcome = processed["by_name"]["talking_head_no_audio.mp4"]
    assert outcome["media"]["has_video"] and not outcome["media"]["has_audio"]
    assert outcome["media"]["frames"] == 8
    assert outcome["transcript"].reason == "the file has no audio track (video only)"
    frames = Path(outcome["media"]["frames_dir"])
    assert len(list(frames.glob("frame_*.jpg"))) == 8


def test_good_files_in_the_same_batch_are_transcribed(processed) -> None:
    references = {str(c.path): c.reference for c in processed["librivox"]}
    refs, hyps = [], []
    for name, source in processed["good"].items():
        outcome = processed["by_name"][name]
        assert outcome["media"]["status"] == "ready"
        assert outcome["transcript"].status == "ok"
        refs.append(references[source])
        hyps.append(outcome["transcript"].text)
        assert "/" not in outcome["key"] and "\\" not in outcome["key"] and ".." not in outcome["key"]
    assert word_error_rate(refs, hyps) <= 0.10


def test_no_temporary_files_are_left_visible(processed) -> None:
    root = Path(processed["storage"].root)
    leftovers = [p for p in root.rglob(".*tmp-*")]
    assert leftovers == []


def test_transcript_metadata_has_a_markdown_preview(processed, fast_transcriber) -> None:
    from emotion_platform.assets.transcripts.assets import transcript_metadata

    name = next(iter(processed["good"]))
    outcome = processed["by_name"][name]
    meta = transcript_metadata(outcome["transcript"], Path("/x.json"))
    assert meta["preview"].value.startswith("| start | end | text |")
    assert meta["words"] > 5 and meta["backend"] == "faster-whisper"
