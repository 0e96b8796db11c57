"""The speech head: corpus- and class-balanced weights, and seven-class probabilities from real embeddings."""

import numpy as np
import pytest

from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.speech.corpus import table_embeddings
from emotion_platform.lib.speech.head import SpeechHead, balanced_weights


def test_balanced_weights_give_each_corpus_and_each_class_within_it_the_same_total() -> None:
    corpora = np.array(["big"] * 12 + ["small"] * 3)
    labels = np.array([0] * 9 + [1] * 3 + [0, 2, 2])
    weights = balanced_weights(corpora, labels)
    assert weights.mean() == pytest.approx(1.0) and (weights > 0).all()
    big, small = corpora == "big", corpora == "small"
    assert weights[big].sum() == pytest.approx(weights[small].sum())
    assert weights[big & (labels == 0)].sum() == pytest.approx(weights[big & (labels == 1)].sum())
    assert weights[small & (labels == 0)].sum() == pytest.approx(weights[small & (labels == 2)].sum())
    # Within one class of one corpus every row weighs the same.
    assert np.ptp(weights[big & (labels == 0)]) == pytest.approx(0.0)
    # A small corpus's rare class is not drowned: its one row weighs what nine rows of the big corpus's do.
    assert weights[small & (labels == 0)][0] == pytest.approx(9 * weights[big & (labels == 0)][0])


@pytest.fixture(scope="module")
def three_classes(ravdess, speech_encoder, feature_cache):
    """Real embeddings of RAVDESS anger, joy and sadness clips: 4 actors to train on, 2 others to score."""
    clips = ravdess[ravdess["label"].isin(["anger", "joy", "sadness"])]
    speakers = sorted(clips["speaker"].unique())
    train = clips[clips["speaker"].isin(speakers[:4])].groupby(["speaker", "label"]).head(2)
    test = clips[clips["speaker"].isin(speakers[4:6])].groupby(["speaker", "label"]).head(2)
    return (
        table_embeddings(train, speech_encoder, feature_cache),
        train,
        table_embeddings(test, speech_encoder, feature_cache),
        test,
    )


def test_probabilities_have_seven_columns_and_none_for_classes_never_trained(three_classes) -> None:
    x_train, train, x_test, test = three_classes
    labels = train["label"].map(LABEL_TO_ID).to_numpy()
    head = SpeechHead().fit(x_train, labels, train["source"].to_numpy())
    p = head.predict_proba(x_test)
    assert p.shape == (len(x_test), len(EMOTIONS))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    trained = sorted(set(labels))
    untrained = [i for i in range(len(EMOTIONS)) if i not in trained]
    assert (p[:, untrained] == 0).all() and (p[:, trained] > 0).all()
    # A fitted temperature changes the confidence, not the ranking.
    head = SpeechHead().fit(x_train, labels, train["source"].to_numpy())
    calibrated = head.calibrate(x_test, test["label"].map(LABEL_TO_ID))
    assert calibrated.temperature > 0 and calibrated.temperature != 1.0
    np.testing.assert_array_equal(calibrated.predict_proba(x_test).argmax(1), p.argmax(1))
    with pytest.raises(RuntimeError, match="not been fitted"):
        SpeechHead().predict_proba(x_test)
