"""The training examples table from the real datasets and a reviewers' corrections file, and its splits."""

from __future__ import annotations

import pandas as pd
import pytest

from emotion_platform.lib.datasets.examples import build_training_examples
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.splits import SpeakerLeak, split_examples
from emotion_platform.lib.datasets.text import COLUMNS, load_meld
from emotion_platform.settings import PlatformSettings

DATASETS = PlatformSettings().datasets_dir


def test_text_reviewed_and_speech_rows_in_one_table(tmp_path) -> None:
    reviewed_file = tmp_path / "reviewed_labels.parquet"
    reviewed = load_meld(DATASETS).head(3).assign(source="reviewed", official_split="train", label="joy")
    reviewed.assign(reviewer="ana")[[*COLUMNS, "reviewer"]].to_parquet(reviewed_file, index=False)

    examples = build_training_examples(DATASETS, ["meld"], ["ravdess_speech"], reviewed_file)
    table = examples.table
    assert (examples.text_examples, examples.reviewed_examples, examples.speech_examples) == (13708, 3, 1248)
    assert len(table) == 13708 + 3 + 1248 and list(table.index) == list(range(len(table)))
    assert list(table["source"].drop_duplicates()) == ["meld", "reviewed", "ravdess_speech"]
    assert "reviewer" not in table.columns  # only the text columns of the corrections
    assert examples.class_balance.loc["reviewed", "joy"] == 3

    without = build_training_examples(DATASETS, ["meld"], [], tmp_path / "none.parquet")
    assert without.reviewed_examples == 0 and without.speech_examples == 0 and len(without.table) == 13708


def test_split_examples_keeps_speakers_apart_and_refuses_a_leak() -> None:
    examples = load_speech(DATASETS, ["ravdess_speech"])
    df = split_examples(examples, seed=3)
    assert set(df["split"]) == {"train", "validation", "test"}
    assert df.groupby("speaker")["split"].nunique().max() == 1
    pd.testing.assert_frame_equal(df, split_examples(examples, seed=3))
    leaky = examples.assign(speaker="ravdess_01")  # one speaker in every group
    with pytest.raises(SpeakerLeak, match="speakers in several splits: \\['ravdess_01'\\]"):
        split_examples(leaky)
