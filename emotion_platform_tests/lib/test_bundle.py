"""The bundle's three-way fusion with any subset of branches, and bundles saved before the face branch."""

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.face.branch import FACE_FILE
from emotion_platform.lib.fusion import fuse


@pytest.fixture(scope="module")
def face_distribution(emotion_bundle, talking_head_index) -> np.ndarray:
    span = emotion_bundle.face.analyzer().spans(talking_head_index, [(0.0, 4.004)])[0]
    return emotion_bundle.face.distribution(span.mean)


@pytest.fixture(scope="module")
def speech(librivox) -> np.ndarray:
    return load_clip(str(librivox[0].path))


def test_save_and_load_keep_the_face_branch_and_old_bundles_load_without(emotion_bundle, tmp_path) -> None:
    folder = emotion_bundle.save(tmp_path / "new")
    loaded = EmotionBundle.load(folder)
    assert loaded.face == emotion_bundle.face and loaded.weights == emotion_bundle.weights
    assert loaded.fusion_weights == emotion_bundle.weights | {"face": 0.5}
    (folder / FACE_FILE).unlink()  # what every bundle saved before the face branch looks like
    old = EmotionBundle.load(folder)
    assert old.face is None and old.fusion_weights == emotion_bundle.weights


def test_any_subset_of_branches_fuses(emotion_bundle, face_distribution, speech) -> None:
    clip = speech[: 16_000 * 2]
    text = "I can't believe we actually won the whole thing!"
    texts = [text, None, None, None, text, text]
    audios = [None, clip, None, None, clip, clip]
    faces = [None, None, face_distribution, None, face_distribution, None]
    out = emotion_bundle.predict_segments(texts, audios, group="media-1", faces=faces)
    t, a, f, fused = out["text"], out["acoustic"], out["face"], out["fused"]
    assert np.allclose(fused[0], t[0])  # text only
    assert np.allclose(fused[1], a[1])  # audio without words
    assert np.allclose(fused[2], face_distribution) and np.allclose(f[2], face_distribution)  # face only
    assert np.isnan(fused[3]).all()  # nothing at all: no made-up distribution
    three = fuse({"text": t[4], "acoustic": a[4], "face": face_distribution}, emotion_bundle.fusion_weights)[0]
    assert np.allclose(fused[4], three)
    assert not any(np.allclose(fused[4], p) for p in (t[4], a[4], face_distribution))
    # Without a face the prior face weight changes nothing: the fitted speech fusion as before.
    assert np.allclose(fused[5], fuse({"text": t[5], "acoustic": a[5]}, emotion_bundle.weights)[0])
    assert np.isnan(f[[0, 1, 3, 5]]).all()


def test_the_face_weight_pulls_the_fusion_towards_the_face(emotion_bundle, face_distribution, speech) -> None:
    from dataclasses import replace

    def kl_to_face(weight: float) -> float:
        bundle = replace(emotion_bundle, face=replace(emotion_bundle.face, weight=weight))
        fused = bundle.predict_segments([None], [speech[:32_000]], faces=[face_distribution])["fused"][0]
        return float(np.sum(face_distribution * np.log(face_distribution / fused)))

    assert kl_to_face(2.0) < kl_to_face(0.5) < kl_to_face(0.1)


def test_a_bundle_without_face_branch_ignores_faces_and_lengths_must_match(emotion_bundle, face_distribution) -> None:
    from dataclasses import replace

    old = replace(emotion_bundle, face=None)
    out = old.predict_segments([None], [None], faces=[face_distribution])
    assert out["face"] is None and np.isnan(out["fused"]).all()
    with pytest.raises(ValueError, match="one entry per segment"):
        emotion_bundle.predict_segments(["a", "b"], [None, None], faces=[None])
