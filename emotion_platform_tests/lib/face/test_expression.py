"""The rebuilt PyEmotion network: same weights, same outputs, pinned file, documented class mapping."""

import ast
import importlib.util

import numpy as np
import pytest
import torch

from emotion_platform.lib.face.analysis import read_gray
from emotion_platform.lib.face.detect import FaceDetector
from emotion_platform.lib.face.expression import (
    PYEMOTION_CLASSES,
    PYEMOTION_TO_PLATFORM,
    TO_PLATFORM_ORDER,
    ExpressionModel,
    ModelFileMismatch,
    preprocess,
    pyemotion_model_path,
)
from emotion_platform.lib.labels import EMOTIONS


@pytest.fixture(scope="module")
def model() -> ExpressionModel:
    return ExpressionModel.load()


@pytest.fixture(scope="module")
def crops(talking_head_index) -> list[np.ndarray]:
    detector = FaceDetector()
    return [crop for frame in talking_head_index.frames for _, crop in detector.detect(read_gray(frame.path))]


def _pyemotion_source(name: str):
    return pyemotion_model_path().parent.parent / name


def test_rebuilt_network_matches_pyemotions_own_on_real_faces(model, crops) -> None:
    spec = importlib.util.spec_from_file_location("pyemotion_networks", _pyemotion_source("networks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # networks.py needs only torch (the package __init__ needs torchvision)
    original = module.NetworkV2(in_c=1, nl=32, out_f=7).eval()
    original.load_state_dict(torch.load(pyemotion_model_path(), map_location="cpu", weights_only=True)["network"])
    batch = preprocess(crops)
    with torch.inference_mode():
        expected = original(batch).numpy()
    assert np.allclose(model.scores(crops), expected, atol=1e-5)


def test_class_order_is_pyemotions_and_maps_one_to_one() -> None:
    tree = ast.parse(_pyemotion_source("main.py").read_text())
    literal = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "attr", None) == "emotions" for t in node.targets)
    )
    assert tuple(ast.literal_eval(literal)[i] for i in range(7)) == PYEMOTION_CLASSES
    assert sorted(PYEMOTION_TO_PLATFORM.values()) == sorted(EMOTIONS)
    assert [PYEMOTION_TO_PLATFORM[PYEMOTION_CLASSES[j]] for j in TO_PLATFORM_ORDER] == list(EMOTIONS)


def test_distributions_are_in_platform_order_and_batching_changes_nothing(model, crops) -> None:
    assert len(crops) >= 6
    proba = model.predict_proba(crops)
    assert proba.shape == (len(crops), len(EMOTIONS)) and np.allclose(proba.sum(axis=1), 1) and (proba >= 0).all()
    scores = model.scores(crops)
    assert (proba.argmax(axis=1) == [TO_PLATFORM_ORDER.index(j) for j in scores.argmax(axis=1)]).all()
    one_by_one = np.concatenate([ExpressionModel(model.network, batch_size=1).predict_proba([c]) for c in crops])
    assert np.allclose(one_by_one, proba, atol=1e-5)
    assert model.predict_proba([]).shape == (0, len(EMOTIONS))


def test_weights_are_pinned_and_bad_crops_are_refused(model) -> None:
    with pytest.raises(ModelFileMismatch, match="is not the pinned"):
        ExpressionModel.load(expected_sha256="0" * 64)
    with pytest.raises(ValueError, match="grey"):
        model.predict_proba([np.zeros((48, 48, 3), np.uint8)])
    with pytest.raises(ValueError, match="non-empty"):
        model.predict_proba([np.zeros((0, 10), np.uint8)])
