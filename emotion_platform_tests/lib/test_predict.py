"""Segment emotions of video: face evidence per time span, a whole-file span for video without speech."""

from dataclasses import replace

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.predict import media_summary, segment_emotions
from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform_tests.small_bundle import assert_distribution

NO_AUDIO = Transcript.empty("no_audio", "the file has no audio track (video only)", duration_s=4.004)


def _segment(i: int, start: float, end: float, text: str) -> Segment:
    return Segment(id=i, start=start, end=end, text=text, avg_logprob=-0.2, no_speech_prob=0.01)


def test_video_without_audio_is_one_span_classified_by_the_faces(emotion_bundle, talking_head_frames) -> None:
    records = segment_emotions(emotion_bundle, NO_AUDIO, None, "talking-head", frames=str(talking_head_frames))
    assert len(records) == 1
    (record,) = records
    assert (record["start"], record["end"], record["text"]) == (0.0, 4.0, None)
    assert record["text_branch"] is None and record["acoustic_branch"] is None
    assert_distribution(record["face_branch"])
    assert record["emotions"] == record["face_branch"] and record["top"] == max(record["emotions"],
                                                                               key=record["emotions"].get)
    evidence = record["face_evidence"]
    assert evidence["frames"] == 8 and evidence["frames_with_faces"] >= 6
    summary = media_summary(records)
    assert summary["segments"] == 1 and summary["dominant"] == record["top"]


def test_no_face_branch_or_no_frames_means_no_prediction_for_silent_video(emotion_bundle, talking_head_frames) -> None:
    assert segment_emotions(emotion_bundle, NO_AUDIO, None, "talking-head") == []
    old = replace(emotion_bundle, face=None)  # a bundle saved before the face branch existed
    assert segment_emotions(old, NO_AUDIO, None, "talking-head", frames=talking_head_frames) == []
    with pytest.raises(FileNotFoundError, match="index.json"):
        segment_emotions(emotion_bundle, NO_AUDIO, None, "x", frames=talking_head_frames.parent)


def test_speech_with_video_uses_the_frames_of_each_segment(emotion_bundle, talking_head_frames, librivox) -> None:
    audio = load_clip(str(librivox[0].path))  # 7.1 s of real speech; the video covers the first 4 s
    words = librivox[0].reference.split()
    transcript = Transcript(status="ok", duration_s=audio.size / 16_000, segments=[
        _segment(0, 0.0, 2.0, " ".join(words[:6])), _segment(1, 2.0, 4.0, " ".join(words[6:12])),
        _segment(2, 5.0, 7.0, " ".join(words[12:]))])
    records = segment_emotions(emotion_bundle, transcript, audio, "speech-video", frames=talking_head_frames)
    assert [r["start"] for r in records] == [0.0, 2.0, 5.0]
    for record in records[:2]:
        assert all(record["start"] <= t < record["end"] for t in record["face_evidence"]["timestamps"])
        assert record["face_evidence"]["frames"] == 4
        for key in ("text_branch", "acoustic_branch", "face_branch", "emotions"):
            assert_distribution(record[key])
    beyond = records[2]  # after the video ends: no frames, no face distribution, speech branches only
    assert beyond["face_evidence"]["frames"] == 0 and beyond["face_branch"] is None
    assert_distribution(beyond["emotions"])
    without_video = segment_emotions(emotion_bundle, transcript, audio, "speech-video")
    assert without_video[2]["emotions"] == beyond["emotions"]
    assert all(r["face_branch"] is None and r["face_evidence"] is None for r in without_video)
    assert any(np.abs(np.array(list(a["emotions"].values())) - list(b["emotions"].values())).max() > 1e-3
               for a, b in zip(records[:2], without_video[:2], strict=True))
    summary = media_summary(records)
    assert set(summary) == {"segments", "emotions", "dominant", "time_share_by_top_emotion", "seconds"}
