"""``training_examples`` and ``splits``: the labelled examples the candidate is trained and tested on."""

import dagster as dg
import pandas as pd

from emotion_platform.assets.datasets.assets import DATASET_KEYS
from emotion_platform.assets.models.reviewed import reviewed_labels, reviewed_labels_path
from emotion_platform.assets.models.run_config import TrainingDataConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.splits import assign_splits, speakers_in_several_splits, split_summary
from emotion_platform.lib.datasets.text import COLUMNS as TEXT_COLUMNS
from emotion_platform.lib.datasets.text import load_text
from emotion_platform.resources import StorageResource
from emotion_platform.resources.mlflow import DatasetsResource
from emotion_platform.resources.parquet_io import PARQUET_FILE, PARQUET_IO_MANAGER

EXAMPLES_FILE = "training/examples.parquet"
SPLITS_FILE = "training/splits.parquet"
"""Where the parquet IO manager keeps the two tables, under the storage root (dvc.yaml tracks these)."""


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"pandas"},
    deps=[*DATASET_KEYS, reviewed_labels],
    io_manager_key=PARQUET_IO_MANAGER,
    metadata={PARQUET_FILE: EXAMPLES_FILE},
)
def training_examples(
    config: TrainingDataConfig, datasets: DatasetsResource, storage: StorageResource
) -> dg.Output[pd.DataFrame]:
    """Labelled examples from the real datasets, on the platform's seven-emotion label set, and the
    reviewers' corrections (``reviewed_labels``, train split only) when there are any."""
    text = load_text(datasets.path, config.text_sources)
    speech = load_speech(datasets.path, config.speech_sources)
    reviewed_file = reviewed_labels_path(storage)
    reviewed = pd.read_parquet(reviewed_file)[TEXT_COLUMNS] if reviewed_file.exists() else None
    df = pd.concat([text, reviewed, speech], ignore_index=True)
    counts = df.groupby(["source", "label"]).size().unstack(fill_value=0)
    return dg.Output(
        df,
        metadata={
            "examples": len(df),
            "text_examples": len(text),
            "speech_examples": len(speech),
            "reviewed_examples": 0 if reviewed is None else len(reviewed),
            "sources": ", ".join(config.text_sources + config.speech_sources),
            "class_balance": dg.MetadataValue.md(table_md(counts)),
        },
    )


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"pandas"},
    io_manager_key=PARQUET_IO_MANAGER,
    metadata={PARQUET_FILE: SPLITS_FILE},
)
def splits(config: TrainingDataConfig, training_examples: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Train/validation/test: published splits where they exist (MELD test stays test), else by speaker."""
    df = assign_splits(training_examples, seed=config.seed)
    speech_sources = sorted(df.loc[df["modality"] == "speech", "source"].unique())
    leaks = speakers_in_several_splits(df, speech_sources)
    if leaks:
        raise dg.Failure(f"speakers in several splits: {sorted(leaks)[:10]}")
    sizes = df.groupby(["split"]).size().to_dict()
    return dg.Output(
        df,
        metadata={
            "train": sizes.get("train", 0),
            "validation": sizes.get("validation", 0),
            "test": sizes.get("test", 0),
            "speakers_in_two_splits (speech)": 0,
            "seed": config.seed,
            "counts": dg.MetadataValue.md(table_md(split_summary(df))),
        },
    )
