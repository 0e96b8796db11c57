"""Speaker-independent (actor-disjoint) evaluation of the acoustic branch and its baselines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.metrics import classification_metrics

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def out_of_fold_proba(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, fit_predict: FitPredict,
                      n_splits: int = 6) -> np.ndarray:
    """Probabilities for every example from a model that never saw its speaker (GroupKFold).

    ``fit_predict(train_x, train_y, train_groups, test_x, test_groups)`` returns test probabilities.
    """
    proba = np.zeros((len(labels), len(EMOTIONS)))
    for tr, te in GroupKFold(n_splits=n_splits).split(features, labels, groups):
        proba[te] = fit_predict(features[tr], labels[tr], groups[tr], features[te], groups[te])
    return proba


def acoustic_branch(train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    from emotion_platform.lib.acoustic.model import AcousticClassifier

    return AcousticClassifier().fit(train_x, train_y, train_groups).predict_proba(test_x, test_groups)


def logistic_baseline(train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    """Log-mel statistics + logistic regression, with the same speaker normalisation as the branch."""
    from emotion_platform.lib.acoustic.normalize import SpeakerNormalizer

    norm = SpeakerNormalizer().fit(train_x)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=1.0, class_weight="balanced"))
    model.fit(norm.transform(train_x, train_groups), train_y)
    full = np.zeros((len(test_x), len(EMOTIONS)))
    full[:, model.classes_] = model.predict_proba(norm.transform(test_x, test_groups))
    return full


def majority_baseline(train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    full = np.zeros((len(test_x), len(EMOTIONS)))
    full[:, np.bincount(train_y, minlength=len(EMOTIONS)).argmax()] = 1.0
    return full


def actor_disjoint_report(features: np.ndarray, log_mel: np.ndarray, labels: np.ndarray, groups: np.ndarray,
                          n_splits: int = 6) -> dict[str, dict]:
    """Accuracy/UAR/F1 of the majority class, log-mel + LR and the acoustic branch on the same folds."""
    runs = {
        "majority class": (features, majority_baseline),
        "log-mel stats + logistic regression": (log_mel, logistic_baseline),
        "acoustic branch (ours)": (features, acoustic_branch),
    }
    report = {}
    for name, (x, fit_predict) in runs.items():
        proba = out_of_fold_proba(x, labels, groups, fit_predict, n_splits)
        report[name] = classification_metrics(labels, proba) | {"proba": proba}
    return report
