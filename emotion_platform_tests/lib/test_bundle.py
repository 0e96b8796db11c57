"""The bundle: save/load of its branches, fusion of any subset of them, and bundles of the old format."""

from dataclasses import replace

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.bundle import FORMAT_FILE, EmotionBundle, OutdatedBundle
from emotion_platform.lib.face.branch import FACE_FILE
from emotion_platform.lib.fusion import fuse, fuse_segment
from emotion_platform.lib.labels import EMOTIONS

pytestmark = pytest.mark.slow

TEXT = "I can't believe we actually won the whole thing!"


@pytest.fixture(scope="module")
def face_distribution(emotion_bundle, talking_head_index) -> np.ndarray:
    span = emotion_bundle.face.analyzer().spans(talking_head_index, [(0.0, 4.004)])[0]
    return emotion_bundle.face.distribution(span.mean)


@pytest.fixture(scope="module")
def voice(emotion_bundle, librivox) -> np.ndarray:
    """The speech embedding of two seconds of real read speech, as a (1, dim) row."""
    return emotion_bundle.speech.embed([load_clip(str(librivox[0].path))[: SAMPLE_RATE * 2]])


def test_save_and_load_keep_every_branch(emotion_bundle, voice, tmp_path) -> None:
    folder = emotion_bundle.save(tmp_path / "bundle")
    loaded = EmotionBundle.load(folder)
    assert loaded.face == emotion_bundle.face and loaded.speech.spec == emotion_bundle.speech.spec
    texts, speech = [TEXT, None, TEXT], np.vstack([np.full_like(voice, np.nan), voice, voice])
    before, after = emotion_bundle.predict_segments(texts, speech), loaded.predict_segments(texts, speech)
    for key in ("text", "speech", "fused"):
        np.testing.assert_allclose(after[key], before[key], atol=1e-5, equal_nan=True)
    assert loaded.describe()["speech_encoder"]["whisper_model"] == "tiny.en"
    (folder / FACE_FILE).unlink()  # a bundle saved without the face branch
    assert EmotionBundle.load(folder).face is None


def test_a_bundle_of_the_first_format_is_refused_with_what_to_do(emotion_bundle, tmp_path) -> None:
    folder = emotion_bundle.save(tmp_path / "old")
    (folder / FORMAT_FILE).unlink()
    (folder / "acoustic.joblib").write_bytes(b"an SVM over librosa descriptors")
    with pytest.raises(OutdatedBundle, match="emotion-platform train"):
        EmotionBundle.load(folder)


def test_any_subset_of_branches_fuses(emotion_bundle, face_distribution, voice) -> None:
    nan_voice = np.full_like(voice[0], np.nan)
    texts = [TEXT, None, None, None, TEXT, TEXT]
    speech = np.vstack([nan_voice, voice[0], nan_voice, nan_voice, voice[0], voice[0]])
    nan_face = np.full(len(EMOTIONS), np.nan)
    faces = np.vstack([nan_face, nan_face, face_distribution, nan_face, face_distribution, nan_face])
    out = emotion_bundle.predict_segments(texts, speech, faces)
    t, s, f, fused = out["text"], out["speech"], out["face"], out["fused"]
    assert np.allclose(fused[0], t[0])  # words only
    assert np.allclose(fused[1], s[1])  # voice without words
    assert np.allclose(fused[2], face_distribution) and np.allclose(f[2], face_distribution)  # face only
    assert np.isnan(fused[3]).all()  # nothing at all: no made-up distribution
    three = fuse_segment(t[4], s[4], face_distribution, emotion_bundle.fusion, emotion_bundle.face_weight)
    np.testing.assert_allclose(fused[4], three)
    assert not any(np.allclose(fused[4], p) for p in (t[4], s[4], face_distribution))
    # Without a face: the fitted words/voice fusion alone.
    np.testing.assert_allclose(fused[5], emotion_bundle.fusion.combine(t[5], s[5])[0])
    assert np.isnan(f[[0, 1, 3, 5]]).all() and np.isnan(s[[0, 2, 3]]).all() and np.isnan(t[[1, 2, 3]]).all()


def test_contexts_change_the_text_branch_input(emotion_bundle) -> None:
    texts = ["We lost.", TEXT]
    default = emotion_bundle.predict_segments(texts)["text"]
    explicit = emotion_bundle.predict_segments(texts, contexts=["", "We lost."])["text"]
    other = emotion_bundle.predict_segments(texts, contexts=["", "The party starts at nine."])["text"]
    np.testing.assert_allclose(explicit, default, atol=1e-6)
    assert not np.allclose(other[1], default[1])


def test_the_face_weight_pulls_the_fusion_towards_the_face(emotion_bundle, face_distribution, voice) -> None:
    def kl_to_face(weight: float) -> float:
        bundle = replace(emotion_bundle, face=replace(emotion_bundle.face, weight=weight))
        fused = bundle.predict_segments([None], voice, faces=face_distribution[None])["fused"][0]
        return float(np.sum(face_distribution * np.log(face_distribution / fused)))

    assert kl_to_face(2.0) < kl_to_face(0.5) < kl_to_face(0.1)
    only_voice = emotion_bundle.predict_segments([None], voice)["fused"][0]
    np.testing.assert_allclose(only_voice, fuse({"s": emotion_bundle.speech.predict_proba(voice)}, {"s": 1.0})[0])


def test_branches_the_bundle_lacks_drop_out_and_lengths_must_match(emotion_bundle, face_distribution, voice) -> None:
    no_face = replace(emotion_bundle, face=None)
    out = no_face.predict_segments([None], None, faces=face_distribution[None])
    assert np.isnan(out["face"]).all() and np.isnan(out["fused"]).all()
    no_speech = replace(emotion_bundle, speech=None, fusion=None)
    out = no_speech.predict_segments([TEXT], voice)
    assert np.isnan(out["speech"]).all() and np.allclose(out["fused"], out["text"])
    with pytest.raises(ValueError, match="one row per segment"):
        emotion_bundle.predict_segments(["a", "b"], voice)
