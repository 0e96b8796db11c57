"""The media path without the service: files without words, and the start-up warm-up of every model.

The bundle is the serving test champion (tiny BERT text branch, real Whisper-encoder speech branch and
words/voice fusion, shipped face branch); the transcriber is the real faster-whisper tiny.en.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.serving.media import classify_media, warm_up
from emotion_platform_tests.media_corpus import MAX_BYTES, MAX_DURATION_S

pytestmark = pytest.mark.slow

LIMITS = MediaLimits(max_bytes=MAX_BYTES, max_duration_s=MAX_DURATION_S)


@pytest.fixture(scope="module")
def bundle(champion) -> EmotionBundle:
    loaded = EmotionBundle.load(champion.bundle_dir)
    assert loaded.speech is not None and loaded.fusion is not None and loaded.face is not None
    return loaded


@pytest.fixture(scope="module")
def transcriber(fast_transcriber):
    return fast_transcriber.get()


def test_a_tone_without_words_gets_no_speech_emotion_and_a_reason(bundle, transcriber, tmp_path) -> None:
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    path = tmp_path / "tone.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
    result = classify_media(path, bundle, transcriber, LIMITS)
    assert result["media"]["kind"] == "audio" and result["media"]["has_audio"] and not result["media"]["has_video"]
    assert result["transcript"]["status"] == "no_speech" and result["transcript"]["reason"]
    # No words: the voice is not read as speech, and an audio file has no faces: nothing is classified.
    assert result["segments"] == []
    summary = result["summary"]
    assert summary["segments"] == 0 and summary["emotions"] is None and summary["dominant"] is None
    assert summary["confidence"] is None
    assert summary["reason"] == result["transcript"]["reason"]


def test_music_video_is_read_from_the_faces_only(bundle, transcriber, samples) -> None:
    result = classify_media(samples["music_animation.mp4"], bundle, transcriber, LIMITS)
    assert result["media"]["has_audio"] and result["media"]["has_video"]
    assert result["transcript"]["status"] == "no_speech"
    [segment] = result["segments"]  # one span over the whole video, for its faces
    assert segment["text"] is None and segment["text_branch"] is None
    assert segment["speech_branch"] is None  # the music has audio, but no words: no speech emotion
    assert segment["start"] == 0.0 and segment["end"] == pytest.approx(result["media"]["duration_s"], abs=0.5)
    assert segment["face_evidence"] is not None
    assert segment["emotions"] == segment["face_branch"]  # None when the cartoon's faces are not detected
    reason = result["summary"]["reason"]
    assert reason.startswith(result["transcript"]["reason"]) and reason.endswith("the faces alone are read")


def test_music_video_without_a_face_branch_has_nothing_to_classify(bundle, transcriber, samples) -> None:
    no_face = dataclasses.replace(bundle, face=None)
    result = classify_media(samples["music_animation.mp4"], no_face, transcriber, LIMITS)
    assert result["transcript"]["status"] == "no_speech"
    assert result["segments"] == []
    assert result["summary"]["dominant"] is None and result["summary"]["reason"] == result["transcript"]["reason"]


def test_words_are_read_by_text_speech_and_fusion_with_a_confidence(bundle, transcriber, librivox) -> None:
    result = classify_media(librivox[0].path, bundle, transcriber, LIMITS)
    assert result["transcript"]["status"] == "ok" and result["segments"]
    for segment in result["segments"]:
        assert segment["text"].strip()
        for branch in ("text_branch", "speech_branch", "emotions"):
            assert list(segment[branch]) == list(EMOTIONS)
            assert sum(segment[branch].values()) == pytest.approx(1, abs=1e-3)
        assert segment["face_branch"] is None  # audio only
        assert segment["confidence"] == max(segment["emotions"].values())
        assert segment["top"] == max(segment["emotions"], key=segment["emotions"].get)
        assert segment["low_confidence"] == (segment["confidence"] < 0.40)
    summary = result["summary"]
    assert summary["segments"] == len(result["segments"]) and summary["dominant"] in EMOTIONS
    assert summary["reason"] is None and 0 <= summary["low_confidence_share"] <= 1


def test_warm_up_runs_every_model_the_worker_needs(bundle, transcriber, monkeypatch) -> None:
    decoded = []
    decode = transcriber._decode_many
    monkeypatch.setattr(
        transcriber, "_decode_many", lambda items, on_progress: decoded.append(len(items)) or decode(items, on_progress)
    )
    # A copy whose speech encoder and face network are not loaded yet (a worker that has just started).
    fresh = dataclasses.replace(
        bundle, speech=dataclasses.replace(bundle.speech), face=dataclasses.replace(bundle.face)
    )
    assert fresh.speech._encoder is None and fresh.face._analyzer is None
    timings = warm_up(fresh, transcriber)
    assert set(timings) == {"transcriber", "speech_encoder", "text", "face"}
    assert all(isinstance(s, float) and s >= 0 for s in timings.values())
    # What the first upload would otherwise pay for has run: Whisper's decoder (the voice-activity detector
    # lets the voiced tone through), the speech encoder and the face network are loaded.
    assert decoded == [1]
    assert fresh.speech._encoder is not None and fresh.face._analyzer is not None


def test_warm_up_of_a_model_without_speech_or_face_branch(bundle, transcriber) -> None:
    text_only = dataclasses.replace(bundle, speech=None, fusion=None, face=None)
    assert set(warm_up(text_only, transcriber)) == {"transcriber", "text"}


def test_a_followed_analysis_reports_its_stages_and_a_request_prints_nothing(
    bundle, transcriber, librivox, capsys
) -> None:
    from emotion_platform.lib.progress import reporting_to
    from emotion_platform.serving.media import STAGE_SPANS
    from emotion_platform.serving.web.jobs import overall_fraction

    updates = []
    with reporting_to([updates.append]):
        classify_media(librivox[0].path, bundle, transcriber, LIMITS)
    stages = list(dict.fromkeys(u.stage for u in updates))
    assert stages == list(STAGE_SPANS) == ["decoding", "transcribing", "classifying"]
    transcribing = [u for u in updates if u.stage == "transcribing"]
    assert transcribing[-1].finished and transcribing[-1].total >= 1
    assert transcribing[-1].done == transcribing[-1].total  # every window decoded
    fractions = [overall_fraction(u) for u in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # one bar that only moves forward

    capsys.readouterr()
    classify_media(librivox[0].path, bundle, transcriber, LIMITS)  # as an API request: no one follows
    assert capsys.readouterr().err == ""
