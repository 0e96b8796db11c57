"""Training and evaluation on the real datasets, against baselines on the same splits, in one run.

Usage: .venv/bin/python bench/train_eval.py [--epochs 5] [--out bench/results]

Defaults are the configuration quoted in the README (5 epochs, lr 8e-5, inverse-sqrt class weights,
the epoch with the best validation weighted F1 kept).

Text: the full MELD training split (validation: MELD dev), evaluated on the official MELD test split
(weighted F1), against the majority class and TF-IDF + logistic regression. Target: >= 0.60.
The speech branch and the fusion are measured by bench/real_media.py.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from machine import cpu_times, describe  # noqa: E402  (bench/machine.py)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from emotion_platform.lib.datasets.splits import assign_splits  # noqa: E402
from emotion_platform.lib.datasets.text import load_meld  # noqa: E402
from emotion_platform.lib.evaluation import evaluate_text_model  # noqa: E402
from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID  # noqa: E402
from emotion_platform.lib.metrics import classification_metrics  # noqa: E402
from emotion_platform.lib.text_model.encoder import minilm_dir  # noqa: E402
from emotion_platform.lib.text_model.train import TextTrainConfig, train_text_classifier  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402


def one_hot(pred: np.ndarray) -> np.ndarray:
    out = np.zeros((len(pred), len(EMOTIONS)))
    out[np.arange(len(pred)), pred] = 1.0
    return out


def text_part(args, datasets: Path, out: Path) -> dict:
    df = assign_splits(load_meld(datasets))
    train, val, test = (df[df["split"] == s] for s in ("train", "validation", "test"))
    y_train, y_test = (d["label"].map(LABEL_TO_ID).to_numpy() for d in (train, test))
    results = {}
    majority = np.bincount(y_train).argmax()
    results["majority class"] = classification_metrics(y_test, one_hot(np.full(len(test), majority)))
    started = time.perf_counter()
    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    lr = LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced")
    lr.fit(tfidf.fit_transform(train["text"]), y_train)
    results["TF-IDF + logistic regression"] = classification_metrics(
        y_test, lr.predict_proba(tfidf.transform(test["text"]))
    )
    results["TF-IDF + logistic regression"]["train_seconds"] = time.perf_counter() - started
    config = TextTrainConfig(
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=32,
        max_length=96,
        class_weighting=args.class_weighting,
        selection_metric=args.selection_metric,
    )
    result = train_text_classifier(
        train, val, minilm_dir(), config, on_epoch=lambda row: print(json.dumps(row), flush=True)
    )
    model_dir = out / "text_model"
    result.model.save(model_dir)
    ours = evaluate_text_model(result.model, model_dir, test)
    ours["train_seconds"] = result.train_seconds
    results["MiniLM fine-tuned (ours)"] = ours
    np.save(
        out / "meld_test_text_proba.npy", result.model.predict_proba(test["text"].tolist(), test["context"].tolist())
    )
    return results


def print_table(title: str, results: dict, keys: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'model':<34}" + "".join(f"{k:>14}" for k in keys))
    for name, metrics in results.items():
        print(f"{name:<34}" + "".join(f"{metrics.get(k, float('nan')):>14.4f}" for k in keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=8e-5)
    parser.add_argument("--class-weighting", default="inverse_sqrt", choices=["none", "inverse_sqrt", "inverse"])
    parser.add_argument("--selection-metric", default="weighted_f1", choices=["weighted_f1", "macro_f1"])
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    datasets = PlatformSettings().datasets_dir
    started, machine_before = time.perf_counter(), cpu_times()
    summary = {}
    summary["text"] = text_part(args, datasets, args.out)
    print_table("MELD test (official split)", summary["text"], ["weighted_f1", "macro_f1", "accuracy", "train_seconds"])
    print(f"\nwall time: {time.perf_counter() - started:.0f} s; {describe(machine_before)}")
    (args.out / "train_eval.json").write_text(json.dumps(summary, indent=1, default=float))


if __name__ == "__main__":
    main()
