"""The media -> transcripts stage end to end: sensor, real ffmpeg, real Whisper, a real Dagster instance.

A batch mixing a corpus of bad inputs with real speech under awkward names goes through the
inbox sensor and the assets; each bad file ends with its reason, and the good files are transcribed.
"""

from pathlib import Path

import pytest

from emotion_platform.lib.wer import word_error_rate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def processed(corpus_pipeline):
    """One mixed batch through the sensor and the assets (``corpus_pipeline``, shared with the outcome table)."""
    return corpus_pipeline


def test_the_corpus_has_at_least_twenty_five_kinds_of_bad_input(processed) -> None:
    assert len({c.expected for c in processed["cases"]}) >= 10
    assert len(processed["cases"]) >= 25
    assert len({c.name for c in processed["cases"]}) == len(processed["cases"])


def test_the_same_bytes_under_two_names_are_one_partition(processed) -> None:
    for case in processed["cases"]:
        if case.same_as:
            copy, original = processed["by_name"][case.name], processed["by_name"][case.same_as]
            assert copy["key"] == original["key"] and copy["alias_of"] == case.same_as
    assert len(processed["partitions"]) == len(set(processed["partitions"]))


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
        if case.stage != "transcript" or case.expected == "ok":
            continue
        outcome = processed["by_name"][case.name]
        assert outcome["media"]["status"] == "ready" and outcome["check_passed"]
        assert outcome["transcript"].status == case.expected, (case.name, outcome["transcript"].text)
        assert outcome["transcript"].reason and not outcome["transcript"].segments


def test_awkward_but_valid_speech_is_transcribed(processed) -> None:
    """Streamed WAV sizes, a FLAC without a length, 64 streams, 8-bit mu-law: the words come through."""
    reference = processed["librivox"][0].reference
    for case in processed["cases"]:
        if case.stage == "transcript" and case.expected == "ok":
            outcome = processed["by_name"][case.name]
            assert outcome["media"]["status"] == "ready" and outcome["transcript"].status == "ok", case.name
            assert word_error_rate([reference], [outcome["transcript"].text]) <= 0.25, case.name


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
    meta = transcript_metadata(outcome["transcript"])
    assert meta["preview"].value.startswith("| start | end | text |")
    assert meta["words"] > 5 and meta["backend"] == "faster-whisper"
