"""``training_examples`` and ``splits``: the labelled examples the candidate is trained and tested on
(:func:`~emotion_platform.lib.datasets.examples.build_training_examples`,
:func:`~emotion_platform.lib.datasets.splits.split_examples`)."""

import dagster as dg
import pandas as pd

from emotion_platform.assets.datasets.assets import DATASET_KEYS
from emotion_platform.assets.models.reviewed import reviewed_labels, reviewed_labels_path
from emotion_platform.assets.models.run_config import TrainingDataConfig
from emotion_platform.assets.models.tables import table_md
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib.datasets.examples import TrainingExamples, build_training_examples
from emotion_platform.lib.datasets.splits import SpeakerLeak, split_examples, split_summary
from emotion_platform.resources import StorageResource
from emotion_platform.resources.mlflow import DatasetsResource
from emotion_platform.resources.parquet_io import PARQUET_FILE, PARQUET_IO_MANAGER

EXAMPLES_FILE = "training/examples.parquet"
SPLITS_FILE = "training/splits.parquet"
"""Where the parquet IO manager keeps the two tables, under the storage root (dvc.yaml tracks these)."""


def examples_metadata(examples: TrainingExamples, config: TrainingDataConfig) -> dict:
    """``training_examples``' materialization metadata (the DVC ``prepare`` stage reports the same)."""
    return {
        "examples": len(examples.table),
        "text_examples": examples.text_examples,
        "speech_examples": examples.speech_examples,
        "reviewed_examples": examples.reviewed_examples,
        "sources": ", ".join(config.text_sources + config.speech_sources),
        "class_balance": dg.MetadataValue.md(table_md(examples.class_balance)),
    }


def splits_metadata(df: pd.DataFrame, seed: int) -> dict:
    """``splits``' materialization metadata (the DVC ``prepare`` stage reports the same)."""
    sizes = df.groupby(["split"]).size().to_dict()
    return {
        "train": sizes.get("train", 0),
        "validation": sizes.get("validation", 0),
        "test": sizes.get("test", 0),
        "speakers_in_two_splits (speech)": 0,
        "seed": seed,
        "counts": dg.MetadataValue.md(table_md(split_summary(df))),
    }


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
    examples = build_training_examples(
        datasets.path, config.text_sources, config.speech_sources, reviewed_labels_path(storage)
    )
    return dg.Output(examples.table, metadata=examples_metadata(examples, config))


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"pandas"},
    io_manager_key=PARQUET_IO_MANAGER,
    metadata={PARQUET_FILE: SPLITS_FILE},
)
def splits(config: TrainingDataConfig, training_examples: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Train/validation/test: published splits where they exist (MELD test stays test), else by speaker."""
    try:
        df = split_examples(training_examples, seed=config.seed)
    except SpeakerLeak as error:
        raise dg.Failure(str(error)) from error
    return dg.Output(df, metadata=splits_metadata(df, config.seed))
