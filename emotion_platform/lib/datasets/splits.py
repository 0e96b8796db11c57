"""Train/validation/test splits: published splits where a dataset has them, else by speaker.

* Rows with an ``official_split`` keep it (train -> train, dev -> validation, test -> test): the
  MELD test split stays the test split, so results compare with published numbers. MELD's main
  characters speak in every published split; that is the benchmark's protocol, kept as is.
* Every other row is split by ``group`` (the speaker, for speech), per source, with a seeded
  shuffle: no speaker is ever in two splits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emotion_platform.lib.errors import TrainingDataError

OFFICIAL = {"train": "train", "dev": "validation", "validation": "validation", "test": "test"}
SPLITS = ("train", "validation", "test")


def assign_splits(
    df: pd.DataFrame, seed: int = 13, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> pd.DataFrame:
    """``df`` with a ``split`` column."""
    out = df.reset_index(drop=True)  # positions, not labels: a concatenated index may repeat
    out["split"] = out["official_split"].map(OFFICIAL)
    rng = np.random.default_rng(seed)
    for _, rows in out[out["split"].isna()].groupby("source"):
        groups = np.array(sorted(rows["group"].unique()))
        rng.shuffle(groups)
        n = len(groups)
        n_test = max(1, round(n * test_fraction)) if n >= 3 else 0
        n_val = max(1, round(n * val_fraction)) if n >= 3 else 0
        assignment = {g: "test" for g in groups[:n_test]}
        assignment |= {g: "validation" for g in groups[n_test : n_test + n_val]}
        assignment |= {g: "train" for g in groups[n_test + n_val :]}
        out.loc[rows.index, "split"] = rows["group"].map(assignment)
    return out


def split_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Counts per source, split and label (the class balance a person checks before training)."""
    return df.pivot_table(
        index=["source", "split"], columns="label", values="example_id", aggfunc="count", fill_value=0
    )


def speakers_in_several_splits(df: pd.DataFrame, sources: list[str] | None = None) -> set[str]:
    rows = df if sources is None else df[df["source"].isin(sources)]
    per_speaker = rows.groupby("speaker")["split"].nunique()
    return set(per_speaker[per_speaker > 1].index)


class SpeakerLeak(TrainingDataError):
    """A speaker would be in two splits (the table's speaker or group columns disagree)."""


def split_examples(df: pd.DataFrame, seed: int = 13) -> pd.DataFrame:
    """:func:`assign_splits`, refusing a table where a speech speaker lands in two splits."""
    out = assign_splits(df, seed=seed)
    speech_sources = sorted(out.loc[out["modality"] == "speech", "source"].unique())
    leaks = speakers_in_several_splits(out, speech_sources)
    if leaks:
        raise SpeakerLeak(f"speakers in several splits: {sorted(leaks)[:10]}")
    return out


def split_rows(df: pd.DataFrame, modality: str, split: str, limit: int | None = None, seed: int = 13) -> pd.DataFrame:
    """The ``modality`` rows (text or speech) of one split; a seeded sample of ``limit`` rows when there are more."""
    rows = df[(df["modality"] == modality) & (df["split"] == split)]
    return rows.sample(limit, random_state=seed) if limit and len(rows) > limit else rows
