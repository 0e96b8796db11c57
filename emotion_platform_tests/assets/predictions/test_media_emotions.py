"""``media_emotions`` and ``transcripts`` called as plain functions on in-memory records (no Dagster run,
no model): the summary weighs segments by duration, a file with nothing classified says why, and a
quarantined file gets an empty transcript without the transcriber being touched."""

from pathlib import Path

import dagster as dg

from emotion_platform.assets.predictions.assets import media_emotions
from emotion_platform.assets.transcripts.assets import transcripts
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.media.prepare import QUARANTINED, PreparedMedia
from emotion_platform.lib.predict import SegmentEmotion, SegmentPredictions
from emotion_platform.resources import StorageResource, TranscriberResource


def _segment(start: float, end: float, top: str, p: float) -> SegmentEmotion:
    rest = (1 - p) / (len(EMOTIONS) - 1)
    emotions = {e: (p if e == top else rest) for e in EMOTIONS}
    return SegmentEmotion(
        start=start,
        end=end,
        text="words",
        text_branch=emotions,
        speech_branch=None,
        face_branch=None,
        face_evidence=None,
        emotions=emotions,
        top=top,
        confidence=p,
        low_confidence=p < 0.4,
    )


def _storage(tmp_path: Path) -> StorageResource:
    return StorageResource(root=str(tmp_path / "data"), inbox=str(tmp_path / "inbox"))


def test_the_summary_weighs_each_segment_by_its_duration(tmp_path: Path) -> None:
    record = SegmentPredictions(
        media_id="clip",
        model_version="3",
        segments=[_segment(0.0, 1.0, "anger", 0.9), _segment(1.0, 4.0, "joy", 0.6)],
    )
    result = media_emotions(
        context=dg.build_asset_context(partition_key="clip"), segment_emotions=record, storage=_storage(tmp_path)
    )

    summary = result.value
    assert (summary.media_id, summary.model_version, summary.segments) == ("clip", "3", 2)
    assert summary.dominant == "joy" and summary.time_share_by_top_emotion["joy"] == 0.75
    assert summary.emotions["anger"] == round(0.25 * 0.9 + 0.75 * (0.4 / 6), 4)
    assert result.metadata["dominant"] == "joy"
    assert (tmp_path / "data" / "predictions" / "clip.timeline.png").stat().st_size > 1000


def test_a_file_with_nothing_classified_says_why(tmp_path: Path) -> None:
    record = SegmentPredictions(media_id="tone", model_version="3", segments=[], reason="no speech was detected")
    result = media_emotions(
        context=dg.build_asset_context(partition_key="tone"), segment_emotions=record, storage=_storage(tmp_path)
    )

    assert result.value.dominant is None and result.value.reason == "no speech was detected"
    assert "timeline" not in result.metadata
    assert not (tmp_path / "data" / "predictions" / "tone.timeline.png").exists()


def test_a_quarantined_file_gets_an_empty_transcript_without_the_transcriber(tmp_path: Path) -> None:
    quarantined = PreparedMedia(
        media_id="bad",
        sha256="0" * 64,
        original_name="bad.mp3",
        source=str(tmp_path / "bad.mp3"),
        status=QUARANTINED,
        code="undecodable",
        reason="ffmpeg could not decode it",
    )
    unusable = TranscriberResource(backend="faster-whisper", model="tiny.en", cache_dir=str(tmp_path / "no-weights"))
    result = transcripts(context=dg.build_asset_context(partition_key="bad"), media=quarantined, transcriber=unusable)

    assert result.value.status == "skipped" and "ffmpeg could not decode it" in result.value.reason
    assert result.metadata["segments"] == 0
