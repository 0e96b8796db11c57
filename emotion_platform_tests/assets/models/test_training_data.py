"""``splits`` called directly on in-memory rows of the real datasets (no Dagster run, no files)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from emotion_platform.assets.models.run_config import TrainingDataConfig
from emotion_platform.assets.models.training_data import splits
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.text import load_text
from emotion_platform.settings import PlatformSettings

SPEECH_ACTORS = [f"ravdess_{n:02d}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    """A slice of MELD (every published split) and ten RAVDESS actors, as ``training_examples`` builds them."""
    datasets_dir = PlatformSettings().datasets_dir
    text = load_text(datasets_dir, ["meld"]).groupby("official_split").head(40)
    speech = load_speech(datasets_dir, ["ravdess_speech"])
    speech = speech[speech["speaker"].isin(SPEECH_ACTORS)]
    return pd.concat([text, speech], ignore_index=True)


def test_splits_keeps_published_splits_and_keeps_speakers_apart(examples: pd.DataFrame) -> None:
    output = splits(TrainingDataConfig(seed=13), examples)

    assert isinstance(output, dg.Output)
    df = output.value
    assert len(df) == len(examples) and list(df["example_id"]) == list(examples["example_id"])
    meld = df[df["source"] == "meld"]
    assert (meld["split"] == meld["official_split"].map({"train": "train", "dev": "validation", "test": "test"})).all()
    speech = df[df["source"] == "ravdess_speech"]
    assert set(speech["split"]) == {"train", "validation", "test"}
    assert speech.groupby("speaker")["split"].nunique().max() == 1
    meta = {key: value.value for key, value in output.metadata.items()}
    assert meta["train"] + meta["validation"] + meta["test"] == len(df)
    assert meta["speakers_in_two_splits (speech)"] == 0 and meta["seed"] == 13
    assert "ravdess_speech" in meta["counts"]  # the per-source, per-split class balance table


def test_splits_is_seeded(examples: pd.DataFrame) -> None:
    first = splits(TrainingDataConfig(seed=3), examples).value
    again = splits(TrainingDataConfig(seed=3), examples).value
    pd.testing.assert_frame_equal(first, again)


def test_splits_fails_when_a_speaker_would_be_in_two_splits(examples: pd.DataFrame) -> None:
    leaky = examples.copy()
    leaky.loc[leaky["source"] == "ravdess_speech", "speaker"] = "ravdess_01"  # one speaker, many groups
    with pytest.raises(dg.Failure, match="speakers in several splits"):
        splits(TrainingDataConfig(seed=13), leaky)
