"""Pure functions of training: fusion, the promotion gate, metrics and calibration, label mappings."""

import numpy as np
import pytest

from emotion_platform.lib import labels
from emotion_platform.lib.fusion import fit_weights, fuse
from emotion_platform.lib.gate import GateConfig, decide
from emotion_platform.lib.metrics import classification_metrics, expected_calibration_error, fit_temperature, softmax


def test_fusion_with_a_missing_branch_is_that_branch() -> None:
    text = np.array([[0.1, 0.0, 0.0, 0.7, 0.2, 0.0, 0.0]])
    assert np.allclose(fuse({"text": text, "acoustic": None}, {"text": 0.3, "acoustic": 0.7}), text)


def test_fusion_is_a_weighted_geometric_mean() -> None:
    a = np.full((1, 7), 1 / 7)
    b = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    fused = fuse({"a": a, "b": b}, {"a": 0.5, "b": 0.5})
    assert fused.sum() == pytest.approx(1.0) and fused[0, 0] == fused.max()
    with pytest.raises(ValueError, match="no branch"):
        fuse({"a": None}, {"a": 1.0})


def test_fit_weights_prefers_the_informative_branch() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 300)
    good = np.full((300, 7), 0.05)
    good[np.arange(300), y] = 0.7
    noise = rng.dirichlet(np.ones(7), 300)
    weights = fit_weights({"good": good, "noise": noise}, y)
    assert weights["good"] > weights["noise"]


def test_gate_reports_each_failure() -> None:
    candidate = {"weighted_f1": 0.50, "latency": {"p95_ms": 150.0}}
    decision = decide(candidate, {"weighted_f1": 0.58}, GateConfig(0.55, 100.0, 0.01))
    assert not decision.passed and len(decision.reasons) == 3
    ok = decide({"weighted_f1": 0.60, "latency": {"p95_ms": 20.0}}, {"weighted_f1": 0.605}, GateConfig(0.55, 100, 0.01))
    assert ok.passed


def test_metrics_and_temperature_scaling() -> None:
    y = np.array([0, 1, 2, 3, 4, 5, 6, 3])
    perfect = np.eye(7)[y]
    m = classification_metrics(y, perfect)
    assert m["accuracy"] == 1.0 and m["weighted_f1"] == 1.0 and m["ece"] == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    labels_ = rng.integers(0, 7, 2000)
    logits = rng.normal(size=(2000, 7))
    logits[np.arange(2000), labels_] += 1.0
    overconfident = logits * 4
    t = fit_temperature(overconfident, labels_)
    assert t > 2
    assert expected_calibration_error(labels_, softmax(overconfident, t)) < expected_calibration_error(
        labels_, softmax(overconfident))


def test_label_mappings_are_total_and_explicit() -> None:
    assert labels.map_label(labels.SPEECH_LABEL_STD, "happy") == "joy"
    assert labels.map_label(labels.SPEECH_LABEL_STD, "calm") is None
    assert labels.map_label(labels.EMORYNLP, "Scared") == "fear"
    with pytest.raises(KeyError, match="no mapping"):
        labels.map_label(labels.MELD, "contempt")


def test_an_uninformative_branch_gets_no_weight() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 7, 400)
    good = np.full((400, 7), 0.05)
    good[np.arange(400), y] = 0.7
    constant = np.tile(np.eye(7)[4] * 0.9 + 0.1 / 7, (400, 1))  # always "neutral", like scripted sentences
    assert fit_weights({"acoustic": good, "text": constant}, y) == {"acoustic": 1.0, "text": 0.0}


def test_three_way_fusion_takes_any_subset() -> None:
    text = np.array([[0.1, 0.05, 0.05, 0.6, 0.1, 0.05, 0.05]])
    acoustic = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    face = np.array([[0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.7]])
    weights = {"text": 0.4, "acoustic": 0.6, "face": 0.5}
    for name, p in (("text", text), ("acoustic", acoustic), ("face", face)):
        only = {k: (p if k == name else None) for k in weights}
        assert np.allclose(fuse(only, weights), p)
    all_three = fuse({"text": text, "acoustic": acoustic, "face": face}, weights)
    expected = np.exp((0.4 * np.log(text + 1e-6) + 0.6 * np.log(acoustic + 1e-6) + 0.5 * np.log(face + 1e-6)) / 1.5)
    assert np.allclose(all_three, expected / expected.sum())
    # A present branch with weight 0 (e.g. text fitted out) leaves the others; alone it is used as is.
    assert np.allclose(fuse({"text": text, "face": face}, weights | {"text": 0.0}), face)
    assert np.allclose(fuse({"text": text, "face": None}, weights | {"text": 0.0}), text)
