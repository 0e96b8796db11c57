"""Evaluating a text emotion model on a test split: quality, calibration, latency, size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics, latency_ms, softmax
from emotion_platform.lib.text_model.model import TextEmotionModel


def folder_size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1e6


def evaluate_text_model(
    model: TextEmotionModel, model_dir: Path, test: pd.DataFrame, latency_examples: int = 50
) -> dict:
    """Test metrics (calibrated and raw ECE), CPU p50/p95 latency at batch size 1, and size on disk."""
    y = test["label"].map(LABEL_TO_ID).to_numpy()
    texts, contexts = test["text"].tolist(), test["context"].tolist()
    logits = model.logits(texts, contexts)
    metrics = classification_metrics(y, softmax(logits, model.temperature))
    metrics["ece_uncalibrated"] = classification_metrics(y, softmax(logits))["ece"]
    metrics["temperature"] = model.temperature
    sample = list(zip(texts, contexts, strict=True))[:latency_examples]
    metrics["latency"] = latency_ms(lambda pair: model.predict_proba([pair[0]], [pair[1]]), sample)
    metrics["size_mb"] = folder_size_mb(model_dir)
    metrics["predicted_distribution"] = np.bincount(logits.argmax(1), minlength=len(EMOTIONS)).tolist()
    return metrics
