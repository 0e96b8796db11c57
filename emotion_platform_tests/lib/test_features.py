"""Per-segment features of a media file: what each segment gets, what it cannot have, and the stored file."""

from dataclasses import replace

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.acoustic.features import FEATURE_NAMES
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.features import NO_WORDS, MediaFeatures, features_path, media_features
from emotion_platform.lib.transcription.types import Segment, Transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spoken(librivox) -> tuple[Transcript, np.ndarray]:
    audio = load_clip(str(librivox[0].path))
    words = librivox[0].reference.split()
    segments = [
        Segment(id=0, start=0.0, end=3.0, text=" ".join(words[:8]), avg_logprob=-0.2, no_speech_prob=0.0),
        Segment(id=1, start=3.0, end=7.0, text=" ".join(words[8:]), avg_logprob=-0.2, no_speech_prob=0.0),
    ]
    return Transcript(status="ok", duration_s=audio.size / SAMPLE_RATE, segments=segments), audio


def test_each_spoken_segment_gets_words_voice_and_descriptors(emotion_bundle, spoken) -> None:
    transcript, audio = spoken
    found = media_features(emotion_bundle, transcript, audio, "reading")
    assert len(found) == 2 and found.spans == [(0.0, 3.0), (3.0, 7.0)] and found.reason is None
    assert found.speech.shape == (2, emotion_bundle.speech.spec.dim) and not np.isnan(found.speech).any()
    assert found.descriptors.shape == (2, len(FEATURE_NAMES)) and not np.isnan(found.descriptors).any()
    assert np.isnan(found.faces).all() and found.face_evidence == [None, None]
    assert found.speech_spec_key == emotion_bundle.speech.spec.key
    # The embedding is the speech branch's own embedding of the segment's audio.
    np.testing.assert_allclose(found.speech[1], emotion_bundle.speech.embed([audio[48_000:112_000]])[0], atol=1e-5)
    lean = media_features(emotion_bundle, transcript, audio, "reading", descriptors=False)
    assert np.isnan(lean.descriptors).all()
    np.testing.assert_allclose(lean.speech, found.speech, atol=1e-6)


def test_no_words_means_no_speech_branch_and_a_reason(emotion_bundle, spoken) -> None:
    _, audio = spoken
    music = Transcript(status="no_speech", duration_s=7.0)
    found = media_features(emotion_bundle, music, audio, "music")
    assert len(found) == 0 and found.reason == NO_WORDS
    without_speech = replace(emotion_bundle, speech=None, fusion=None)
    transcript, _ = spoken
    found = media_features(without_speech, transcript, audio, "reading")
    assert found.speech.shape == (2, 0) and found.reason == "the model has no speech branch"


def test_features_round_trip_and_refuse_another_version(emotion_bundle, spoken, talking_head_frames, tmp_path) -> None:
    transcript, audio = spoken
    found = media_features(emotion_bundle, transcript, audio, "video", frames=talking_head_frames)
    assert found.face_evidence[0]["frames"] > 0 and not np.isnan(found.faces[0]).any()
    path = found.save(features_path(tmp_path, "video"))
    assert path == tmp_path / "features" / "video.npz" and not list(path.parent.glob("*.tmp*"))
    loaded = MediaFeatures.load(path)
    assert loaded.spans == found.spans and loaded.texts == found.texts and loaded.face_evidence == found.face_evidence
    for name in ("speech", "descriptors", "faces"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(found, name))
    assert loaded.meta == {"transcript_status": "ok"} and loaded.speech_spec_key == found.speech_spec_key
    import json

    data = dict(np.load(path))
    record = json.loads(str(data["record"]))
    np.savez(tmp_path / "old.npz", **(data | {"record": np.array(json.dumps(record | {"version": 0}))}))
    with pytest.raises(ValueError, match="materialize the features asset again"):
        MediaFeatures.load(tmp_path / "old.npz")
