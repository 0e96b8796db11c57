"""Pure functions of training: fusion (log-linear pool, stacked words/voice model), the promotion gate, metrics
and calibration, label mappings."""

import numpy as np
import pytest

from emotion_platform.lib import labels
from emotion_platform.lib.fusion import EPS, WordsVoiceFusion, entropy, fuse, fuse_segment
from emotion_platform.lib.gate import GateConfig, decide
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.metrics import classification_metrics, expected_calibration_error, fit_temperature, softmax

CLASSES = len(EMOTIONS)


def test_fusion_with_a_missing_branch_is_that_branch() -> None:
    text = np.array([[0.1, 0.0, 0.0, 0.7, 0.2, 0.0, 0.0]])
    assert np.allclose(fuse({"text": text, "speech": None}, {"text": 0.3, "speech": 0.7}), text)


def test_fusion_is_a_weighted_geometric_mean() -> None:
    a = np.full((1, CLASSES), 1 / CLASSES)
    b = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    fused = fuse({"a": a, "b": b}, {"a": 0.5, "b": 0.5})
    assert fused.sum() == pytest.approx(1.0) and fused[0, 0] == fused.max()
    with pytest.raises(ValueError, match="no branch"):
        fuse({"a": None}, {"a": 1.0})


def test_gate_reports_each_failure() -> None:
    candidate = {"weighted_f1": 0.50, "latency": {"p95_ms": 150.0}}
    decision = decide(
        candidate, {"weighted_f1": 0.58}, GateConfig(min_weighted_f1=0.55, max_p95_latency_ms=100.0, tolerance=0.01)
    )
    assert not decision.passed and len(decision.reasons) == 3
    ok = decide(
        {"weighted_f1": 0.60, "latency": {"p95_ms": 20.0}},
        {"weighted_f1": 0.605},
        GateConfig(min_weighted_f1=0.55, max_p95_latency_ms=100, tolerance=0.01),
    )
    assert ok.passed


def test_metrics_and_temperature_scaling() -> None:
    y = np.array([0, 1, 2, 3, 4, 5, 6, 3])
    perfect = np.eye(CLASSES)[y]
    m = classification_metrics(y, perfect)
    assert m["accuracy"] == 1.0 and m["weighted_f1"] == 1.0 and m["ece"] == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    labels_ = rng.integers(0, CLASSES, 2000)
    logits = rng.normal(size=(2000, CLASSES))
    logits[np.arange(2000), labels_] += 1.0
    overconfident = logits * 4
    t = fit_temperature(overconfident, labels_)
    assert t > 2
    assert expected_calibration_error(labels_, softmax(overconfident, t)) < expected_calibration_error(
        labels_, softmax(overconfident)
    )


def test_label_mappings_are_total_and_explicit() -> None:
    assert labels.map_label(labels.SPEECH_LABEL_STD, "happy") == "joy"
    assert labels.map_label(labels.SPEECH_LABEL_STD, "calm") is None
    assert labels.map_label(labels.EMORYNLP, "Scared") == "fear"
    with pytest.raises(KeyError, match="no mapping"):
        labels.map_label(labels.MELD, "contempt")


def test_three_way_fusion_takes_any_subset() -> None:
    text = np.array([[0.1, 0.05, 0.05, 0.6, 0.1, 0.05, 0.05]])
    speech = np.array([[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    face = np.array([[0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.7]])
    weights = {"text": 0.4, "speech": 0.6, "face": 0.5}
    for name, p in (("text", text), ("speech", speech), ("face", face)):
        only = {k: (p if k == name else None) for k in weights}
        assert np.allclose(fuse(only, weights), p)
    all_three = fuse({"text": text, "speech": speech, "face": face}, weights)
    expected = np.exp((0.4 * np.log(text + 1e-6) + 0.6 * np.log(speech + 1e-6) + 0.5 * np.log(face + 1e-6)) / 1.5)
    assert np.allclose(all_three, expected / expected.sum())
    # A present branch with weight 0 (e.g. text fitted out) leaves the others; alone it is used as is.
    assert np.allclose(fuse({"text": text, "face": face}, weights | {"text": 0.0}), face)
    assert np.allclose(fuse({"text": text, "face": None}, weights | {"text": 0.0}), text)


NEUTRAL = EMOTIONS.index("neutral")
ACTED, SPOKEN = "acted speech", "spoken dialogue"


def _domain(rng: np.random.Generator, n: int, informative: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, speech, labels) where one branch is peaked at the label and the other says "neutral"
    whatever the label: acted speech (neutral sentences, emotional voices) or dialogue read flat."""
    y = rng.integers(0, len(EMOTIONS), n)
    peaked = softmax(rng.normal(0, 1.0, (n, CLASSES)) + 2.5 * np.eye(CLASSES)[y])
    flat = softmax(rng.normal(0, 0.3, (n, CLASSES)) + 3.0 * np.eye(CLASSES)[NEUTRAL])
    return (flat, peaked, y) if informative == "speech" else (peaked, flat, y)


@pytest.fixture(scope="module")
def two_domains() -> dict:
    rng = np.random.default_rng(0)
    train = {ACTED: _domain(rng, 150, "speech"), SPOKEN: _domain(rng, 150, "text")}
    test = {ACTED: _domain(rng, 300, "speech"), SPOKEN: _domain(rng, 300, "text")}
    text, speech, y = (np.concatenate([train[d][i] for d in train]) for i in range(3))
    fusion = WordsVoiceFusion.fit(text, speech, y, np.repeat([ACTED, SPOKEN], 150))
    return {"fusion": fusion, "test": test}


def test_words_voice_fusion_follows_the_informative_branch_of_each_domain(two_domains) -> None:
    fusion = two_domains["fusion"]
    worst_pool = {}
    for domain, (text, speech, y) in two_domains["test"].items():
        informative = speech if domain == ACTED else text
        fused = fusion.combine(text, speech)
        assert fused.shape == (len(y), CLASSES) and np.allclose(fused.sum(axis=1), 1.0)
        accuracy = float((fused.argmax(1) == y).mean())
        assert accuracy >= 0.75 and accuracy >= (informative.argmax(1) == y).mean() - 0.08, domain
        assert (fused.argmax(1) == informative.argmax(1)).mean() >= 0.8, domain
        for w in np.linspace(0.1, 0.9, 9):
            pooled = fuse({"text": text, "speech": speech}, {"text": w, "speech": 1 - w})
            worst_pool[w] = min(worst_pool.get(w, 1.0), float((pooled.argmax(1) == y).mean()))
        worst_pool[domain] = accuracy
    # No fixed pair of weights does both: one weight per branch cannot gate on which branch is flat.
    stacked = min(worst_pool.pop(ACTED), worst_pool.pop(SPOKEN))
    assert max(worst_pool.values()) < stacked - 0.15, worst_pool


def test_words_voice_fusion_round_trips_and_refuses_another_version(two_domains, tmp_path) -> None:
    fusion = two_domains["fusion"]
    text, speech, _ = two_domains["test"][SPOKEN]
    loaded = WordsVoiceFusion.load(fusion.save(tmp_path / "fusion.json"))
    np.testing.assert_allclose(loaded.combine(text, speech), fusion.combine(text, speech), atol=1e-5)
    import json

    record = json.loads((tmp_path / "fusion.json").read_text())
    assert record["kind"] == "gated log-linear pool" and len(record["gate"]) == len(record["features"])
    (tmp_path / "old.json").write_text(json.dumps(record | {"features": ["bias"]}))
    with pytest.raises(ValueError, match="retrain"):
        WordsVoiceFusion.load(tmp_path / "old.json")


def test_the_gate_gives_the_words_the_say_when_the_voice_is_flat_and_the_voice_otherwise(two_domains) -> None:
    fusion = two_domains["fusion"]
    acted = fusion.text_weight(*two_domains["test"][ACTED][:2])
    spoken = fusion.text_weight(*two_domains["test"][SPOKEN][:2])
    assert np.median(acted) < 0.2 < 0.8 < np.median(spoken), (np.median(acted), np.median(spoken))
    # Whatever the gate says, the fused distribution lies between the branches: a class both call
    # unlikely stays unlikely.
    text, speech, _ = two_domains["test"][SPOKEN]
    fused = fusion.combine(text, speech)
    both_low = (text < 0.02) & (speech < 0.02)
    assert fused[both_low].max() < 0.05


def test_fuse_segment_uses_whichever_branches_are_present(two_domains) -> None:
    fusion = two_domains["fusion"]
    text, speech, _ = (rows[0] for rows in two_domains["test"][ACTED])
    face = np.array([0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.7])
    assert np.allclose(fuse_segment(text, None, None, fusion, 0.5), text)  # no voice: the words as they are
    assert np.allclose(fuse_segment(None, speech, None, fusion, 0.5), speech)  # no words: the voice
    assert np.allclose(fuse_segment(None, None, face, fusion, 0.5), face)  # face only
    assert fuse_segment(None, None, None, fusion, 0.5) is None  # nothing: no made-up distribution
    both = fuse_segment(text, speech, None, fusion, 0.5)
    np.testing.assert_allclose(both, fusion.combine(text, speech)[0])
    assert not np.allclose(both, text) and not np.allclose(both, speech)
    with_face = fuse_segment(text, speech, face, fusion, 0.5)
    np.testing.assert_allclose(with_face, fuse({"spoken": both, "face": face}, {"spoken": 1.0, "face": 0.5})[0])
    assert with_face[6] > both[6]
    np.testing.assert_allclose(fuse_segment(text, speech, face, fusion, 0.0), both)  # weight 0: the face drops out
    np.testing.assert_allclose(
        fuse_segment(None, speech, face, None, 1.0), fuse({"s": speech, "f": face}, {"s": 1.0, "f": 1.0})[0]
    )


def test_entropy_is_zero_for_certainty_and_one_for_uniform() -> None:
    p = np.array([np.eye(CLASSES)[2], np.full(CLASSES, 1 / CLASSES), [0.5, 0.5, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(entropy(p), [0.0, 1.0, np.log(2) / np.log(CLASSES)], atol=1e-4)
    assert entropy(np.full(CLASSES, 1 / CLASSES)).shape == (1,) and EPS < 1e-3


def test_words_voice_fusion_fitted_on_a_few_dozen_rows_is_not_just_the_class_prior() -> None:
    rng = np.random.default_rng(1)
    text, speech, y = _domain(rng, 28, "speech")
    fusion = WordsVoiceFusion.fit(text, speech, y, np.repeat(ACTED, 28))
    fused = fusion.combine(text, speech)
    assert fused.std(axis=0).max() > 0.05 and (fused.argmax(1) == y).mean() >= 0.6
