"""Segment emotions from stored features: face evidence per time span, a whole-file span for video
without speech, confidence and the low-confidence flag, and the file summary."""

from dataclasses import replace

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.features import media_features
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.predict import LOW_CONFIDENCE, SegmentEmotion, media_summary, segment_emotions
from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform_tests.small_bundle import assert_distribution

pytestmark = pytest.mark.slow

NO_AUDIO = Transcript.empty("no_audio", "the file has no audio track (video only)", duration_s=4.004)


def _segment(i: int, start: float, end: float, text: str) -> Segment:
    return Segment(id=i, start=start, end=end, text=text, avg_logprob=-0.2, no_speech_prob=0.01)


def _predict(bundle, transcript, audio, media_id, frames=None) -> list[SegmentEmotion]:
    return segment_emotions(bundle, media_features(bundle, transcript, audio, media_id, frames=frames))


@pytest.fixture(scope="module")
def speech_video(librivox) -> tuple[Transcript, np.ndarray]:
    audio = load_clip(str(librivox[0].path))  # 7.1 s of real speech; the video covers the first 4 s
    words = librivox[0].reference.split()
    transcript = Transcript(
        status="ok",
        duration_s=audio.size / SAMPLE_RATE,
        segments=[
            _segment(0, 0.0, 2.0, " ".join(words[:6])),
            _segment(1, 2.0, 4.0, " ".join(words[6:12])),
            _segment(2, 5.0, 7.0, " ".join(words[12:])),
        ],
    )
    return transcript, audio


def test_video_without_audio_is_one_span_classified_by_the_faces(emotion_bundle, talking_head_frames) -> None:
    records = _predict(emotion_bundle, NO_AUDIO, None, "talking-head", talking_head_frames)
    assert len(records) == 1
    (record,) = records
    assert (record.start, record.end, record.text) == (0.0, 4.0, None)
    assert record.text_branch is None and record.speech_branch is None
    assert_distribution(record.face_branch)
    assert record.emotions == record.face_branch and record.top == max(record.emotions, key=record.emotions.get)
    assert record.confidence == max(record.emotions.values())
    evidence = record.face_evidence
    assert evidence["frames"] == 8 and evidence["frames_with_faces"] >= 6
    summary = media_summary(records)
    assert summary.segments == 1 and summary.dominant == record.top


def test_no_face_branch_or_no_frames_means_no_prediction_for_silent_video(emotion_bundle, talking_head_frames) -> None:
    assert _predict(emotion_bundle, NO_AUDIO, None, "talking-head") == []
    old = replace(emotion_bundle, face=None)
    assert _predict(old, NO_AUDIO, None, "talking-head", talking_head_frames) == []
    with pytest.raises(FileNotFoundError, match="index.json"):
        _predict(emotion_bundle, NO_AUDIO, None, "x", talking_head_frames.parent)


def test_speech_with_video_uses_the_frames_of_each_segment(emotion_bundle, talking_head_frames, speech_video) -> None:
    transcript, audio = speech_video
    records = _predict(emotion_bundle, transcript, audio, "speech-video", talking_head_frames)
    assert [r.start for r in records] == [0.0, 2.0, 5.0]
    for record in records[:2]:
        assert all(record.start <= t < record.end for t in record.face_evidence["timestamps"])
        assert record.face_evidence["frames"] == 4
        for key in ("text_branch", "speech_branch", "face_branch", "emotions"):
            assert_distribution(getattr(record, key))
    beyond = records[2]  # after the video ends: no frames, no face distribution, words and voice only
    assert beyond.face_evidence["frames"] == 0 and beyond.face_branch is None
    assert_distribution(beyond.emotions)
    without_video = _predict(emotion_bundle, transcript, audio, "speech-video")
    assert without_video[2].emotions == beyond.emotions
    assert all(r.face_branch is None and r.face_evidence is None for r in without_video)
    assert any(
        np.abs(np.array(list(a.emotions.values())) - list(b.emotions.values())).max() > 1e-3
        for a, b in zip(records[:2], without_video[:2], strict=True)
    )
    summary = media_summary(records)
    assert summary.reason is None and summary.segments == 3 and summary.dominant in EMOTIONS
    assert summary.seconds == pytest.approx(6.0) and summary.low_confidence_share is not None
    assert summary.time_share_by_top_emotion and sum(summary.time_share_by_top_emotion.values()) == pytest.approx(
        1, abs=0.01
    )


def test_confidence_is_the_top_fused_probability_and_flat_answers_are_flagged(emotion_bundle, speech_video) -> None:
    transcript, audio = speech_video
    records = _predict(emotion_bundle, transcript, audio, "speech")
    for record in records:
        assert record.confidence == max(record.emotions.values())
        assert record.low_confidence == (record.confidence < LOW_CONFIDENCE)
    flat = [
        r.model_copy(
            update={
                "emotions": dict.fromkeys(EMOTIONS, 1 / len(EMOTIONS)),
                "top": "anger",
                "confidence": 0.143,
                "low_confidence": True,
            }
        )
        for r in records
    ]
    summary = media_summary(flat[:1] + records[1:])
    low_seconds = flat[0].end - flat[0].start
    expected = (low_seconds + sum(r.end - r.start for r in records[1:] if r.low_confidence)) / 6.0
    assert summary.low_confidence_share == pytest.approx(expected, abs=1e-3)


def test_a_file_without_words_or_faces_has_no_segments_and_says_why(emotion_bundle) -> None:
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE).astype(np.float32)
    silent = Transcript.empty("no_speech", "no speech was detected", duration_s=2.0)
    features = media_features(emotion_bundle, silent, tone, "tone")
    assert len(features) == 0 and features.reason == "no speech was detected"
    assert segment_emotions(emotion_bundle, features) == []
    summary = media_summary([], features.reason)
    assert summary.segments == 0 and summary.dominant is None and summary.reason == "no speech was detected"
