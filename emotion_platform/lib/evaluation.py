"""Evaluating a candidate on the test splits: the text branch's quality, calibration, latency and size,
each branch and the fusion on speech clips, and the champion on the same text test for comparison.

:func:`evaluation_metrics` flattens an evaluation into the metrics its training run records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics, latency_ms, softmax
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.speech.training import ClipTranscriber, branch_inputs
from emotion_platform.lib.text_model.model import TextEmotionModel

TEST_KEYS = ("accuracy", "macro_f1", "weighted_f1", "uar", "ece", "ece_uncalibrated", "size_mb")
SPEECH_KEYS = ("accuracy", "uar", "macro_f1")
CHAMPION_LATENCY_EXAMPLES = 10


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


def speech_branch_metrics(
    bundle: EmotionBundle, test: pd.DataFrame, feature_cache: Path, hears: ClipTranscriber | None
) -> dict[str, dict]:
    """Each branch (``text``, ``speech``) and the fusion (``fused``) on speech clips; the text branch
    reads what the transcriber hears in each clip, as the fusion was fitted and as the platform reads media.
    Empty without a speech branch or clips."""
    if bundle.speech is None or not len(test):
        return {}
    text, speech = branch_inputs(bundle.text, bundle.speech, test, feature_cache, hears)
    branches = {"text": text, "speech": speech}
    if bundle.fusion is not None:
        branches["fused"] = bundle.fusion.combine(text, speech)
    y = test["label"].map(LABEL_TO_ID).to_numpy()
    return {
        name: {k: v for k, v in classification_metrics(y, p).items() if k != "confusion_matrix"}
        for name, p in branches.items()
    }


@dataclass(frozen=True)
class Champion:
    """The current champion to compare with: its version and how to load its bundle (and folder)."""

    version: str
    load: Callable[[], tuple[EmotionBundle, Path]]


@dataclass
class Evaluation:
    """The candidate's test metrics (``speech``: per branch on speech clips) and, when there is a
    different champion, the champion's on the same text test (with its ``version``)."""

    candidate: dict
    champion: dict | None


def evaluate_candidate(
    bundle: EmotionBundle,
    bundle_dir: Path,
    test: pd.DataFrame,
    speech_test: pd.DataFrame,
    feature_cache: Path,
    hears: ClipTranscriber | None,
    latency_examples: int = 50,
    champion: Champion | None = None,
) -> Evaluation:
    """The candidate on the text test and the speech clips; ``champion`` (if any) on the text test."""
    with Progress("evaluation", 3 if champion else 2, "parts", every_s=0.0) as progress:
        candidate = evaluate_text_model(bundle.text, bundle_dir, test, latency_examples)
        progress.advance(last=f"text test ({len(test)} utterances)")
        candidate["speech"] = speech_branch_metrics(bundle, speech_test, Path(feature_cache), hears)
        progress.advance(last=f"speech test ({len(speech_test)} clips)")
        measured = None
        if champion is not None:
            champion_bundle, champion_dir = champion.load()
            measured = evaluate_text_model(champion_bundle.text, champion_dir, test, CHAMPION_LATENCY_EXAMPLES)
            measured["version"] = champion.version
            progress.advance(last=f"champion v{champion.version} on the text test")
    return Evaluation(candidate, measured)


def evaluation_metrics(candidate: dict) -> dict[str, float]:
    """A candidate's test evaluation as flat metrics: ``test_*``, ``test_f1_<emotion>``,
    ``speech_test_<branch>_*`` and the p50/p95 latency."""
    return {
        **{f"test_{key}": candidate[key] for key in TEST_KEYS},
        **{f"test_f1_{emotion}": f1 for emotion, f1 in candidate["per_class_f1"].items()},
        **{
            f"speech_test_{branch}_{key}": metrics[key]
            for branch, metrics in candidate.get("speech", {}).items()
            for key in SPEECH_KEYS
        },
        "latency_p50_ms": candidate["latency"]["p50_ms"],
        "latency_p95_ms": candidate["latency"]["p95_ms"],
    }
