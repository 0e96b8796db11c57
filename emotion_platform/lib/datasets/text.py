"""Text datasets (MELD, EmoryNLP, GoEmotions) as one table on the platform's label set.

Every loader returns the same columns (:data:`COLUMNS`): ``example_id``, ``source``, ``modality``,
``text``, ``context`` (the previous utterance of the same dialogue, or ""), ``label``, ``speaker``,
``group`` (the dialogue or thread: examples of one group always land in the same split) and
``official_split`` (train/dev/test as published).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emotion_platform.lib import labels
from emotion_platform.lib.errors import Unavailable

COLUMNS = ["example_id", "source", "modality", "text", "context", "label", "speaker", "group", "official_split"]


class DatasetMissing(Unavailable):
    """A dataset is not where the settings say it is."""


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DatasetMissing(f"{path} not found: set EMOTION_PLATFORM_DATASETS_DIR to the datasets folder")
    return pd.read_csv(path, keep_default_na=False)


def _with_context(df: pd.DataFrame, dialogue_cols: list[str], order_col: str) -> pd.Series:
    ordered = df.sort_values([*dialogue_cols, order_col])
    previous = ordered.groupby(dialogue_cols, sort=False)["text"].shift(1).fillna("")
    return previous.reindex(df.index)


def _finish(df: pd.DataFrame, source: str, mapping: dict[str, str | None]) -> pd.DataFrame:
    df = df.assign(label=[labels.map_label(mapping, x) for x in df["label"]], source=source, modality="text")
    df = df[df["label"].notna() & (df["text"].str.strip() != "")]
    return df[COLUMNS].reset_index(drop=True)


def _dialogues(df: pd.DataFrame, source: str, keys: list[str], mapping: dict[str, str | None]) -> pd.DataFrame:
    """Utterances of dialogues identified by ``keys`` (split first), ordered by ``utterance_id``."""
    df["context"] = _with_context(df, keys, "utterance_id")
    df["group"] = f"{source}-" + df[keys].astype(str).agg("-".join, axis=1)
    df["example_id"] = df["group"] + "-" + df["utterance_id"].astype(str)
    df["official_split"] = df["split"]
    df["speaker"] = f"{source}:" + df["speaker"]
    return _finish(df, source, mapping)


def load_meld(datasets_dir: Path) -> pd.DataFrame:
    """MELD utterances (13,708), with the previous utterance of the dialogue as context."""
    df = _read(Path(datasets_dir) / "meld_text" / "labels.csv")
    df["text"] = df["text"].str.replace("\u2019", "'").str.replace("\u0092", "'").str.strip()
    return _dialogues(df, "meld", ["split", "dialogue_id"], labels.MELD)


def load_emorynlp(datasets_dir: Path) -> pd.DataFrame:
    """EmoryNLP (Friends) utterances; peaceful/powerful have no counterpart and are left out."""
    df = _read(Path(datasets_dir) / "emorynlp_text" / "labels.csv")
    return _dialogues(df, "emorynlp", ["split", "season", "episode", "scene_id"], labels.EMORYNLP)


def load_goemotions(datasets_dir: Path) -> pd.DataFrame:
    """GoEmotions comments with exactly one Ekman label (multi-label comments are left out)."""
    df = _read(Path(datasets_dir) / "goemotions_text" / "labels.csv")
    df = df[~df["ekman_labels"].str.contains(r"[;,]")].copy()
    df["label"] = df["ekman_labels"]
    df["context"] = ""
    df["group"] = "goemotions-" + df["id"]
    df["example_id"] = df["group"]
    df["official_split"] = df["split"]
    df["speaker"] = "goemotions:unknown"
    return _finish(df, "goemotions", labels.GOEMOTIONS_EKMAN)


TEXT_LOADERS = {"meld": load_meld, "emorynlp": load_emorynlp, "goemotions": load_goemotions}


def load_text(datasets_dir: Path, sources: list[str]) -> pd.DataFrame:
    unknown = set(sources) - set(TEXT_LOADERS)
    if unknown:
        raise ValueError(f"unknown text sources {sorted(unknown)}; known: {sorted(TEXT_LOADERS)}")
    return pd.concat([TEXT_LOADERS[s](datasets_dir) for s in sources], ignore_index=True)
