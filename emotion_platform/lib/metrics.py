"""Classification quality, calibration and latency: small pure functions beside the model code."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

from emotion_platform.lib import atomic
from emotion_platform.lib.labels import EMOTIONS

T = TypeVar("T")


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict:
    """Accuracy, unweighted average recall, macro/weighted F1, per-class F1, confusion matrix, ECE."""
    y_true = np.asarray(y_true)
    y_pred = proba.argmax(axis=1)
    all_labels = list(range(len(EMOTIONS)))
    per_class = f1_score(y_true, y_pred, labels=all_labels, average=None, zero_division=0)
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "uar": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "per_class_f1": {EMOTIONS[i]: float(per_class[i]) for i in all_labels},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=all_labels).tolist(),
        "ece": expected_calibration_error(y_true, proba),
    }


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence, with equal-width bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y_true: np.ndarray) -> float:
    """The temperature that minimises validation negative log-likelihood (temperature scaling)."""
    from scipy.optimize import minimize_scalar

    y_true = np.asarray(y_true)

    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(p[np.arange(len(y_true)), y_true] + 1e-12).mean())

    result = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def latency_ms(predict: Callable[[T], object], inputs: list[T], warmup: int = 3) -> dict[str, float]:
    """p50/p95 wall latency of ``predict`` on one input at a time (batch size 1)."""
    for item in inputs[:warmup]:
        predict(item)
    samples = []
    for item in inputs:
        started = time.perf_counter()
        predict(item)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(samples, 50)), "p95_ms": float(np.percentile(samples, 95)), "n": len(samples)}


def confusion_matrix_png(matrix: list[list[int]], dest: Path, title: str) -> Path:
    """A row-normalised confusion-matrix heatmap with counts, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(matrix, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    ax.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j,
                i,
                str(int(cm[i, j])),
                ha="center",
                va="center",
                color="white" if norm[i, j] > 0.5 else "black",
                fontsize=8,
            )
    fig.tight_layout()
    with atomic.atomic_path(dest, stage="evaluation") as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return dest
