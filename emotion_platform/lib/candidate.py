"""Training a candidate model: the text branch (with an optional learning-rate search), the speech
branch on Whisper's encoder, and their words/voice fusion, from the ``splits`` table.

    candidate = train_candidate(splits_df, CandidatePlan(epochs=2), minilm_dir(), feature_cache, model_cache)
    candidate.bundle.save(folder)

:func:`candidate_params` and :func:`candidate_metrics` are what the training run records (MLflow
params and metrics); :func:`candidate_summary` is the candidate's record without where it was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.splits import split_rows
from emotion_platform.lib.datasets.spoken import flat_voice_examples, spoken_examples
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.speech.head import DEFAULT_C
from emotion_platform.lib.speech.training import (
    ClipTranscriber,
    SpeechTrainingReport,
    fit_words_voice_fusion,
    train_speech_branch,
)
from emotion_platform.lib.text_model.train import TextTrainConfig, TrainResult, train_text_classifier

_TEXT = TextTrainConfig()
VALIDATION_KEYS = ("accuracy", "macro_f1", "weighted_f1", "ece")
SPEECH_VALIDATION_KEYS = ("accuracy", "uar", "macro_f1")
TEXT_TRAIN_FIELDS = (
    "learning_rate",
    "epochs",
    "batch_size",
    "max_length",
    "class_weighting",
    "use_context",
    "selection_metric",
    "seed",
)


@dataclass(frozen=True)
class CandidatePlan:
    """Everything that decides a candidate: the text branch's training (defaults from
    :class:`TextTrainConfig`), how much of each split is used, the speech branch and the fusion."""

    encoder: str = "minilm"  # 'minilm' (the shipped all-MiniLM-L6-v2) or a transformers folder
    learning_rate: float = _TEXT.learning_rate
    epochs: int = _TEXT.epochs
    batch_size: int = _TEXT.batch_size
    max_length: int = _TEXT.max_length
    class_weighting: str = _TEXT.class_weighting
    use_context: bool = _TEXT.use_context
    selection_metric: str = _TEXT.selection_metric
    max_train_examples: int | None = 3000
    max_validation_examples: int | None = 600
    search_learning_rates: tuple[float, ...] = ()
    max_speech_examples: int | None = None
    speech_c: float = DEFAULT_C
    flat_voice_lines: int = 600
    spoken_lines: int = 600
    seed: int = _TEXT.seed

    @classmethod
    def from_mapping(cls, values: dict) -> CandidatePlan:
        """A plan from a run config's fields (unknown keys are refused by the dataclass)."""
        values = dict(values)
        values["search_learning_rates"] = tuple(values.get("search_learning_rates") or ())
        return cls(**values)

    @property
    def learning_rates(self) -> list[float]:
        return list(self.search_learning_rates) or [self.learning_rate]

    def text_config(self, learning_rate: float) -> TextTrainConfig:
        return TextTrainConfig(**{**{k: getattr(self, k) for k in TEXT_TRAIN_FIELDS}, "learning_rate": learning_rate})


@dataclass
class Candidate:
    """A trained candidate: its branches, the text run kept by the search, and what it was trained on."""

    plan: CandidatePlan
    base: Path  # the encoder the text branch was fine-tuned from
    text: TrainResult  # the learning rate with the best validation score
    bundle: EmotionBundle  # the text branch of ``text``, the speech branch and the fusion
    speech_report: SpeechTrainingReport | None
    train_examples: int
    validation_examples: int
    speech_train_examples: int
    train_counts: dict[str, int] = field(default_factory=dict)  # examples per source (text and speech)
    search: dict[float, float] = field(default_factory=dict)  # learning rate -> validation selection metric

    @property
    def learning_rate(self) -> float:
        return self.text.config["learning_rate"]

    @property
    def validation(self) -> dict[str, float]:
        return {k: self.text.validation[k] for k in VALIDATION_KEYS}

    @property
    def speech_validation(self) -> dict[str, float]:
        report = self.speech_report.validation if self.speech_report else {}
        return {k: report[k] for k in SPEECH_VALIDATION_KEYS} if report else {}

    @property
    def curves(self) -> pd.DataFrame:
        """One row per epoch of the kept run: train loss and validation scores."""
        return pd.DataFrame(self.text.history)

    @property
    def base_encoder(self) -> str:
        return "all-MiniLM-L6-v2" if self.plan.encoder == "minilm" else self.plan.encoder


def _search_text_model(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    base: Path,
    plan: CandidatePlan,
    on_epoch: Callable[[dict, str], None] | None,
    log: Callable[[str], None],
) -> tuple[TrainResult, dict[float, float]]:
    """One fine-tune per learning rate; the best on the validation selection metric."""
    rates, metric = plan.learning_rates, plan.selection_metric
    search = Progress("learning-rate search", len(rates), "rates", every_s=0.0) if len(rates) > 1 else None
    best: TrainResult | None = None
    scores: dict[float, float] = {}
    for rate in rates:
        prefix = f"lr_{rate:g}/" if len(rates) > 1 else ""
        result = train_text_classifier(
            train, validation, base, plan.text_config(rate), on_epoch=_with_prefix(on_epoch, prefix)
        )
        scores[rate] = result.validation[metric]
        log(f"lr {rate:g}: validation {metric} {scores[rate]:.4f}")
        if best is None or scores[rate] > best.validation[metric]:
            best = result
        if search is not None:
            search.advance(**{f"best {metric}": best.validation[metric]})
    if best is None:
        raise ValueError("the learning-rate search needs at least one rate")
    return best, scores


def _with_prefix(on_epoch: Callable[[dict, str], None] | None, prefix: str) -> Callable[[dict], None] | None:
    """``on_epoch`` told which run of the search an epoch belongs to."""
    if on_epoch is None:
        return None

    def report(row: dict) -> None:
        on_epoch(row, prefix)

    return report


def train_candidate(
    splits: pd.DataFrame,
    plan: CandidatePlan,
    base: Path,
    feature_cache: Path,
    model_cache: Path,
    transcriber: Callable[[], ClipTranscriber] | None = None,
    on_epoch: Callable[[dict, str], None] | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> Candidate:
    """Train the text branch on the text rows of ``splits``, the speech branch on its speech rows (plus
    ``plan.flat_voice_lines`` dialogue lines spoken as neutral voice), and fit the fusion on validation
    clips and ``plan.spoken_lines`` spoken dialogue lines, read through the transcriber that
    ``transcriber()`` gives (called only then), else through the datasets' sentences.

    ``on_epoch(row, prefix)`` gets each epoch's training row (``prefix``: ``lr_<rate>/`` in a search).
    """
    seed, cache = plan.seed, Path(feature_cache)
    train = split_rows(splits, "text", "train", plan.max_train_examples, seed)
    validation = split_rows(splits, "text", "validation", plan.max_validation_examples, seed)
    text, search = _search_text_model(train, validation, Path(base), plan, on_epoch, log)
    speech_train = split_rows(splits, "speech", "train", plan.max_speech_examples, seed)
    speech_val = split_rows(splits, "speech", "validation", plan.max_speech_examples, seed)
    speech, report = None, None
    if len(speech_train):
        if plan.flat_voice_lines > 0:
            lines = split_rows(splits, "text", "train", plan.flat_voice_lines, seed)
            flat = flat_voice_examples(lines, cache / "spoken", seed=seed + 1)
            speech_train = pd.concat([speech_train, flat], ignore_index=True)
        speech, report = train_speech_branch(speech_train, speech_val, cache, Path(model_cache), c=plan.speech_c)
        log(
            f"speech branch: {report.train_clips} clips, validation UAR "
            f"{report.validation.get('uar', float('nan')):.3f}, temperature {report.temperature:.2f}"
        )
    fusion = None
    if speech is not None and len(speech_val) and plan.spoken_lines > 0:
        lines = split_rows(splits, "text", "validation", plan.spoken_lines, seed)
        spoken = spoken_examples(lines, cache / "spoken", seed=seed)
        hears = transcriber() if transcriber is not None else None
        fusion = fit_words_voice_fusion(text.model, speech, speech_val, spoken, cache, hears)
    counts = {**train["source"].value_counts().to_dict(), **speech_train["source"].value_counts().to_dict()}
    return Candidate(
        plan=plan,
        base=Path(base),
        text=text,
        bundle=EmotionBundle(text.model, speech, fusion),
        speech_report=report,
        train_examples=len(train),
        validation_examples=len(validation),
        speech_train_examples=len(speech_train),
        train_counts=counts,
        search=search,
    )


def candidate_params(candidate: Candidate) -> dict:
    """The training run's parameters (MLflow params)."""
    plan = candidate.plan
    return {
        **candidate.text.config,
        "encoder": candidate.base.name if plan.encoder == "minilm" else str(candidate.base),
        "train_examples": candidate.train_examples,
        "validation_examples": candidate.validation_examples,
        "speech_train_examples": candidate.speech_train_examples,
        "speech_c": plan.speech_c,
        "spoken_fusion_lines": plan.spoken_lines if candidate.bundle.fusion is not None else 0,
        "searched_learning_rates": ",".join(f"{r:g}" for r in plan.learning_rates),
    }


def candidate_metrics(candidate: Candidate) -> dict[str, float]:
    """The candidate's validation scores (MLflow metrics): ``val_*`` text, ``val_speech_*`` speech branch."""
    return {
        **{f"val_{k}": v for k, v in candidate.validation.items()},
        **{f"val_speech_{k}": v for k, v in candidate.speech_validation.items()},
    }


def candidate_summary(candidate: Candidate) -> dict:
    """The candidate's record (validation, training data, configuration, branches, the kept run's
    per-epoch curves), without where it is kept."""
    plan = candidate.plan
    return {
        "validation": candidate.validation,
        "train_counts": candidate.train_counts,
        "config": candidate.text.config
        | {
            "speech_c": plan.speech_c,
            "flat_voice_lines": plan.flat_voice_lines,
            "spoken_fusion_lines": plan.spoken_lines,
        },
        **candidate.bundle.describe(),
        "base_encoder": candidate.base_encoder,
        "curves": candidate.text.history,
    }
