"""Run configuration of the model assets (set in the launchpad, the CLI, ``params.yaml`` or tests).

The candidate's defaults are :class:`emotion_platform.lib.candidate.CandidatePlan`'s (whose text-training
defaults are :class:`emotion_platform.lib.text_model.train.TextTrainConfig`'s); the short and full
training plans are in ``params.yaml`` (:mod:`emotion_platform.params`).
"""

import dagster as dg
from pydantic import Field

from emotion_platform.lib.candidate import CandidatePlan

PLAN = CandidatePlan()


class TrainingDataConfig(dg.Config):
    text_sources: list[str] = Field(["meld"], description="meld, emorynlp, goemotions")
    speech_sources: list[str] = Field(
        ["ravdess_speech", "emodb_2s", "nemo_pl", "urdu_ser"],
        description="Speech corpora of the speech branch: ravdess_speech, emodb_2s, "
        "nemo_pl, urdu_ser (split by speaker).",
    )
    seed: int = Field(13, description="Fixes the speaker-grouped splits.")


class TextModelConfig(dg.Config):
    encoder: str = Field(PLAN.encoder, description="'minilm' (shipped all-MiniLM-L6-v2) or a transformers folder.")
    learning_rate: float = Field(PLAN.learning_rate, description="Peak AdamW learning rate (linear warm-up and decay).")
    epochs: int = Field(
        PLAN.epochs, description="Passes over the training examples; the best epoch on validation is kept."
    )
    batch_size: int = Field(PLAN.batch_size, description="Examples per optimisation step.")
    max_length: int = Field(PLAN.max_length, description="Tokens per (utterance, context) pair.")
    class_weighting: str = Field(
        PLAN.class_weighting, description="Loss weights against imbalance: inverse_sqrt, inverse or none."
    )
    use_context: bool = Field(PLAN.use_context, description="Read the previous utterance of the dialogue as context.")
    selection_metric: str = Field(
        PLAN.selection_metric,
        description="Validation metric that picks the epoch and the "
        "learning rate: weighted_f1 (what the gate judges) "
        "or macro_f1.",
    )
    max_train_examples: int | None = Field(
        PLAN.max_train_examples, description="Subsample the training split (None: all of it)."
    )
    max_validation_examples: int | None = Field(
        PLAN.max_validation_examples, description="Subsample the validation split."
    )
    search_learning_rates: list[float] = Field(
        list(PLAN.search_learning_rates),
        description="If set: train once per rate, keep the best on validation (a small hyperparameter search).",
    )
    max_speech_examples: int | None = Field(
        PLAN.max_speech_examples, description="Subsample each speech split (None: all of it)."
    )
    speech_c: float = Field(
        PLAN.speech_c, description="Inverse L2 regularisation of the speech branch's logistic head."
    )
    flat_voice_lines: int = Field(
        PLAN.flat_voice_lines,
        description="Training dialogue lines spoken with espeak-ng and given to the "
        "speech branch as neutral voice (0: none).",
    )
    spoken_lines: int = Field(
        PLAN.spoken_lines,
        description="Validation dialogue lines spoken with espeak-ng to fit the "
        "words/voice fusion (0: no fusion, each branch alone).",
    )
    seed: int = PLAN.seed

    def plan(self) -> CandidatePlan:
        return CandidatePlan.from_mapping(self.model_dump())


class EvaluationConfig(dg.Config):
    max_test_examples: int | None = Field(None, description="Evaluate on a seeded sample of the test split.")
    latency_examples: int = Field(50, description="Utterances timed one at a time for p50/p95 latency.")
