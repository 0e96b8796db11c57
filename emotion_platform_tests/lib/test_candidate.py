"""A candidate trained from a small real splits table: the learning-rate search, what it records."""

from __future__ import annotations

import pandas as pd
import pytest

from emotion_platform.lib.candidate import (
    CandidatePlan,
    candidate_metrics,
    candidate_params,
    candidate_summary,
    train_candidate,
)
from emotion_platform.lib.datasets.splits import assign_splits
from emotion_platform.lib.datasets.text import load_meld
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.train import TextTrainConfig
from emotion_platform.settings import PlatformSettings


@pytest.fixture(scope="module")
def meld_splits() -> pd.DataFrame:
    """Real MELD lines on their published splits: 6 per emotion to train on, 3 per emotion to validate on."""
    lines = assign_splits(load_meld(PlatformSettings().datasets_dir).sort_values("example_id"))
    train = lines[lines["split"] == "train"].groupby("label").head(6)
    validation = lines[lines["split"] == "validation"].groupby("label").head(3)
    return pd.concat([train, validation], ignore_index=True)


def test_a_plan_takes_its_text_training_defaults_from_the_text_train_config() -> None:
    plan, text = CandidatePlan(), TextTrainConfig()
    assert (plan.learning_rate, plan.epochs, plan.batch_size, plan.max_length) == (
        text.learning_rate,
        text.epochs,
        text.batch_size,
        text.max_length,
    )
    assert plan.text_config(1e-3) == TextTrainConfig(learning_rate=1e-3)
    assert plan.learning_rates == [plan.learning_rate]
    assert CandidatePlan.from_mapping({"search_learning_rates": [1e-4, 2e-4]}).learning_rates == [1e-4, 2e-4]


def test_the_search_keeps_the_best_rate_and_text_alone_gives_no_speech_branch(meld_splits, tmp_path) -> None:
    encoder = tiny_encoder_dir(tmp_path / "encoder")
    plan = CandidatePlan(
        encoder=str(encoder),
        epochs=2,
        batch_size=8,
        max_length=32,
        max_train_examples=None,
        max_validation_examples=None,
        search_learning_rates=(1e-9, 1e-3),
    )
    epochs, messages = [], []
    candidate = train_candidate(
        meld_splits,
        plan,
        encoder,
        tmp_path / "features",
        tmp_path / "models",
        on_epoch=lambda row, prefix: epochs.append((prefix, row["epoch"])),
        log=messages.append,
    )
    assert epochs == [("lr_1e-09/", 1), ("lr_1e-09/", 2), ("lr_0.001/", 1), ("lr_0.001/", 2)]
    assert set(candidate.search) == {1e-9, 1e-3} and len(messages) == 2
    assert candidate.learning_rate == max(candidate.search, key=candidate.search.get)
    assert candidate.bundle.speech is None and candidate.bundle.fusion is None and candidate.speech_validation == {}
    assert (candidate.train_examples, candidate.validation_examples, candidate.speech_train_examples) == (42, 21, 0)
    assert candidate.train_counts == {"meld": 42}
    assert candidate.curves["epoch"].tolist() == [1, 2]

    params = candidate_params(candidate)
    assert params["searched_learning_rates"] == "1e-09,0.001" and params["spoken_fusion_lines"] == 0
    assert params["encoder"] == str(encoder) and params["learning_rate"] == candidate.learning_rate
    assert set(candidate_metrics(candidate)) == {"val_accuracy", "val_macro_f1", "val_weighted_f1", "val_ece"}
    summary = candidate_summary(candidate)
    assert summary["fusion"] == "single branch" and summary["base_encoder"] == str(encoder)
    assert summary["config"]["epochs"] == 2 and summary["config"]["spoken_fusion_lines"] == plan.spoken_lines
    assert summary["validation"] == candidate.validation and summary["curves"] == candidate.text.history


def test_the_plan_subsamples_the_training_split(meld_splits, tmp_path) -> None:
    encoder = tiny_encoder_dir(tmp_path / "encoder")
    plan = CandidatePlan(encoder=str(encoder), batch_size=8, max_length=32, max_train_examples=20)
    candidate = train_candidate(meld_splits, plan, encoder, tmp_path / "features", tmp_path / "models")
    assert candidate.train_examples == 20 and candidate.validation_examples == 21
    assert candidate.text.config["learning_rate"] == plan.learning_rate
