"""Decision offsets fitted on validation: they help where the classifier is biased and never hurt where fitted."""

import numpy as np

from emotion_platform.lib.metrics import classification_metrics, fit_class_bias, softmax


def _biased_classifier(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels with a majority class and log-probabilities that over-predict that majority."""
    rng = np.random.default_rng(seed)
    y = rng.choice(7, size=n, p=[0.1, 0.05, 0.05, 0.15, 0.45, 0.1, 0.1])
    logits = rng.normal(0, 1.0, (n, 7))
    logits[np.arange(n), y] += 1.2  # informative ...
    logits[:, 4] += 1.5  # ... but pulled towards class 4
    return np.log(softmax(logits)), y


def test_offsets_raise_weighted_f1_on_held_out_data_of_the_same_kind() -> None:
    log_val, y_val = _biased_classifier(1500, seed=1)
    log_test, y_test = _biased_classifier(1500, seed=2)
    bias = fit_class_bias(log_val, y_val)
    before = classification_metrics(y_test, np.exp(log_test))["weighted_f1"]
    after = classification_metrics(y_test, softmax(log_test + bias))["weighted_f1"]
    assert bias[4] < 0  # the over-predicted class is pushed down
    assert after > before + 0.02


def test_offsets_are_never_worse_on_the_data_they_were_fitted_on() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 7, 400)
    log_p = np.log(softmax(rng.normal(0, 1, (400, 7))))
    bias = fit_class_bias(log_p, y)
    assert classification_metrics(y, softmax(log_p + bias))["weighted_f1"] >= \
        classification_metrics(y, np.exp(log_p))["weighted_f1"]
