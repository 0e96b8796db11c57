"""The face branch as a bundle records it: identity of the shipped model and its fusion priors."""

import numpy as np
import pytest

from emotion_platform.lib.face.branch import FaceBranch
from emotion_platform.lib.face.expression import PYEMOTION_SHA256
from emotion_platform.lib.labels import EMOTIONS


def test_record_round_trips_without_runtime_state(tmp_path) -> None:
    branch = FaceBranch(weight=0.7)
    data = branch.to_dict()
    assert data["sha256"] == PYEMOTION_SHA256 and data["package"] == "PyEmotion==1.0.0"
    assert "device" not in data and "_analyzer" not in data and "prior" in data["weight_source"]
    assert FaceBranch.from_dict(data, device="cpu") == branch
    with pytest.raises(ValueError, match="uniform_mix"):
        FaceBranch(uniform_mix=1.0)


def test_a_wrong_hash_is_refused_when_the_model_is_first_used() -> None:
    from emotion_platform.lib.face.expression import ModelFileMismatch

    with pytest.raises(ModelFileMismatch):
        FaceBranch(sha256="f" * 64).analyzer()


def test_distribution_keeps_the_faces_choice_and_no_face_stays_none() -> None:
    branch = FaceBranch()
    near_one_hot = np.array([0.0, 0.0, 0.0, 0.999, 0.001, 0.0, 0.0])
    p = branch.distribution(near_one_hot)
    assert p.argmax() == 3 and np.isclose(p.sum(), 1) and p.min() == pytest.approx(branch.uniform_mix / len(EMOTIONS))
    assert branch.distribution(None) is None
