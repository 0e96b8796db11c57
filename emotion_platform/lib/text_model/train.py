"""Fine-tuning the encoder for 7-way emotion classification (plain PyTorch loop, CPU-friendly)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics, fit_temperature, softmax
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.text_model.model import TextEmotionModel


@dataclass
class TextTrainConfig:
    """How the text branch is fine-tuned. The defaults are the platform's: the Dagster run config
    (:class:`emotion_platform.assets.models.run_config.TextModelConfig`) takes its defaults from here;
    the short and full training plans are in ``params.yaml``."""

    learning_rate: float = 8e-5
    epochs: int = 1
    batch_size: int = 32
    max_length: int = 96
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    class_weighting: str = "inverse_sqrt"  # "inverse_sqrt", "inverse" or "none"
    use_context: bool = True
    selection_metric: str = "weighted_f1"  # validation metric that picks the kept epoch
    length_bucketing: bool = True  # batches of similar length: less padding, same examples per epoch
    seed: int = 13
    max_train_examples: int | None = None
    threads: int = 0  # 0: torch's default

    def __post_init__(self) -> None:
        if self.class_weighting not in {"inverse_sqrt", "inverse", "none"}:
            raise ValueError(f"class_weighting must be inverse_sqrt, inverse or none, not {self.class_weighting!r}")
        if self.selection_metric not in {"weighted_f1", "macro_f1"}:
            raise ValueError(f"selection_metric must be weighted_f1 or macro_f1, not {self.selection_metric!r}")


@dataclass
class TrainResult:
    model: TextEmotionModel
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    validation: dict = field(default_factory=dict)
    train_seconds: float = 0.0
    config: dict = field(default_factory=dict)


def class_weights(labels: np.ndarray, scheme: str) -> torch.Tensor:
    """Per-class loss weights against imbalance (mean weight 1 over the training examples)."""
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(float)
    if scheme == "none":
        weights = np.ones(len(EMOTIONS))
    else:
        power = 0.5 if scheme == "inverse_sqrt" else 1.0
        weights = np.where(counts > 0, 1.0 / np.maximum(counts, 1) ** power, 0.0)
    weights = weights / (weights[labels].mean() or 1.0)
    return torch.tensor(weights, dtype=torch.float32)


def epoch_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, bucketing: bool = True, bucket_batches: int = 50
) -> list[np.ndarray]:
    """One epoch's batches of example indices, each example exactly once, in random order.

    With ``bucketing`` the shuffled examples are cut into chunks of ``bucket_batches`` batches and
    sorted by length inside each chunk, so a batch holds utterances of similar length (less padding,
    fewer wasted FLOPs on CPU) while the batch order stays random.
    """
    order = rng.permutation(len(lengths))
    if not bucketing:
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    batches: list[np.ndarray] = []
    chunk = batch_size * bucket_batches
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def _labels(df: pd.DataFrame) -> np.ndarray:
    return df["label"].map(LABEL_TO_ID).to_numpy()


def train_text_classifier(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    base_model_dir: Path,
    config: TextTrainConfig,
    on_epoch: Callable[[dict], None] | None = None,
    report_every_s: float = 30.0,
) -> TrainResult:
    """Fine-tune ``base_model_dir`` on ``train``; keep the epoch with the best validation
    ``config.selection_metric`` (weighted F1 by default: the metric the promotion gate judges).

    Temperature scaling is fitted on the validation set afterwards. ``on_epoch`` gets each epoch's
    row of ``history`` as it ends. Progress (:mod:`emotion_platform.lib.progress`): each epoch's
    batches (loss so far, time left) at most every ``report_every_s``, and one update per epoch with
    its validation scores and the time left for the whole run.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    if config.max_train_examples and len(train) > config.max_train_examples:
        train = train.sample(config.max_train_examples, random_state=config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base_model_dir))
    network = AutoModelForSequenceClassification.from_pretrained(
        str(base_model_dir),
        num_labels=len(EMOTIONS),
        id2label=dict(enumerate(EMOTIONS)),
        label2id=dict(LABEL_TO_ID),
    )
    model = TextEmotionModel(network, tokenizer, config.max_length, config.use_context)
    y_train, y_val = _labels(train), _labels(validation)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights(y_train, config.class_weighting))
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    schedule = get_linear_schedule_with_warmup(
        optimizer, int(config.warmup_ratio * steps_per_epoch * config.epochs), steps_per_epoch * config.epochs
    )
    rng = np.random.default_rng(config.seed)
    texts, contexts = train["text"].tolist(), train["context"].tolist()
    lengths = np.array(
        [len(t) + (len(c or "") if config.use_context else 0) for t, c in zip(texts, contexts, strict=True)]
    )
    best_state, best_f1, result = None, -1.0, TrainResult(model=model, config=asdict(config))
    started = time.perf_counter()
    epochs = Progress("training", config.epochs, "epochs", every_s=0.0)
    for epoch in range(1, config.epochs + 1):
        network.train()
        total_loss = 0.0
        with Progress(f"epoch {epoch}/{config.epochs}", steps_per_epoch, "batches", every_s=report_every_s) as batches:
            for idx in epoch_batches(lengths, config.batch_size, rng, config.length_bucketing):
                batch = model.encode([texts[i] for i in idx], [contexts[i] for i in idx])
                loss = loss_fn(network(**batch).logits, torch.as_tensor(y_train[idx]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total_loss += float(loss.detach())
                batches.advance(train_loss=total_loss / (batches.done + 1))
        network.eval()
        val_logits = model.logits(validation["text"].tolist(), validation["context"].tolist())
        metrics = classification_metrics(y_val, softmax(val_logits))
        row = {
            "epoch": epoch,
            "train_loss": total_loss / steps_per_epoch,
            "val_macro_f1": metrics["macro_f1"],
            "val_weighted_f1": metrics["weighted_f1"],
            "val_accuracy": metrics["accuracy"],
            "seconds": time.perf_counter() - started,
        }
        result.history.append(row)
        if on_epoch:
            on_epoch(row)
        epochs.advance(**{k: v for k, v in row.items() if k.startswith("val_")})
        if metrics[config.selection_metric] > best_f1:
            best_f1, result.best_epoch = metrics[config.selection_metric], epoch
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
    network.load_state_dict(best_state)
    network.eval()
    val_logits = model.logits(validation["text"].tolist(), validation["context"].tolist())
    model.temperature = fit_temperature(val_logits, y_val)
    result.validation = classification_metrics(
        y_val, model.predict_proba(validation["text"].tolist(), validation["context"].tolist())
    )
    result.train_seconds = time.perf_counter() - started
    return result
