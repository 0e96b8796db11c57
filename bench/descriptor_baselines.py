"""Baselines the speech branch is measured against (bench/real_media.py), not served by the platform.

* the previous acoustic branch: librosa descriptors (``lib/acoustic/features.py``), z-scored per
  speaker by that speaker's own statistics (no labels; groups smaller than ``MIN_GROUP`` clips use
  the training population's), then an RBF support-vector machine;
* log-mel statistics + logistic regression, with the same speaker normalisation.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emotion_platform.lib.labels import EMOTIONS

MIN_GROUP = 8


def speaker_normalized(train_x: np.ndarray, x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``x`` z-scored per group by the group's own statistics, by the training population's for small groups."""
    out = (x - train_x.mean(axis=0)) / (train_x.std(axis=0) + 1e-6)
    groups = np.asarray(groups)
    for group in np.unique(groups):
        rows = groups == group
        if rows.sum() >= MIN_GROUP:
            out[rows] = (x[rows] - x[rows].mean(axis=0)) / (x[rows].std(axis=0) + 1e-6)
    return out


def _seven_columns(model, x: np.ndarray) -> np.ndarray:
    full = np.zeros((len(x), len(EMOTIONS)))
    full[:, model.classes_] = model.predict_proba(x)
    return full


def _fit_predict(model, train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    model.fit(speaker_normalized(train_x, train_x, train_groups), train_y)
    return _seven_columns(model, speaker_normalized(train_x, test_x, test_groups))


def acoustic_branch(train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    """The previous acoustic branch: speaker-normalised descriptors, RBF SVM (C=3)."""
    svm = SVC(C=3.0, gamma="scale", probability=True, class_weight="balanced", random_state=0)
    return _fit_predict(make_pipeline(StandardScaler(), svm), train_x, train_y, train_groups, test_x, test_groups)


def logistic_baseline(train_x, train_y, train_groups, test_x, test_groups) -> np.ndarray:
    """Log-mel statistics + logistic regression, with the same speaker normalisation."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=1.0, class_weight="balanced"))
    return _fit_predict(model, train_x, train_y, train_groups, test_x, test_groups)
