"""Speech datasets (RAVDESS, EmoDB, nEMO, URDU) from ``speech_index.csv`` on the platform's label set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emotion_platform.lib import labels
from emotion_platform.lib.datasets.text import COLUMNS, DatasetMissing

SPEECH_SOURCES = ("ravdess_speech", "emodb_2s", "nemo_pl", "urdu_ser")
SPEECH_COLUMNS = [*COLUMNS, "audio_path", "language", "duration_s"]


def load_speech(datasets_dir: Path, sources: list[str]) -> pd.DataFrame:
    """Clips of the given speech datasets; calm and boredom have no counterpart and are left out.

    ``group`` is the (globally unique) speaker, so splits by group are speaker-independent.
    """
    index = Path(datasets_dir) / "speech_index.csv"
    if not index.exists():
        raise DatasetMissing(f"{index} not found: set EMOTION_PLATFORM_DATASETS_DIR to the datasets folder")
    unknown = set(sources) - set(SPEECH_SOURCES)
    if unknown:
        raise ValueError(f"unknown speech sources {sorted(unknown)}; known: {list(SPEECH_SOURCES)}")
    df = pd.read_csv(index, keep_default_na=False)
    df = df[df["dataset"].isin(sources)].copy()
    df["label"] = [labels.map_label(labels.SPEECH_LABEL_STD, x) for x in df["label_std"]]
    df = df[df["label"].notna()]
    df["audio_path"] = [str(Path(datasets_dir) / p) for p in df["path"]]
    df = df.assign(
        example_id=df["path"],
        source=df["dataset"],
        modality="speech",
        context="",
        group=df["speaker"],
        official_split="",
    )
    return df[SPEECH_COLUMNS].reset_index(drop=True)
