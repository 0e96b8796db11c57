"""The training examples: the labelled text and speech datasets and the reviewers' corrections in one table.

examples = build_training_examples(datasets_dir, ["meld"], ["ravdess_speech"], reviewed_file)
examples.table            # text rows, then reviewed rows (train split), then speech rows
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.text import COLUMNS as TEXT_COLUMNS
from emotion_platform.lib.datasets.text import load_text


@dataclass(frozen=True)
class TrainingExamples:
    """The examples table and how many rows came from each part."""

    table: pd.DataFrame
    text_examples: int
    speech_examples: int
    reviewed_examples: int

    @property
    def class_balance(self) -> pd.DataFrame:
        """Examples per source (rows) and label (columns)."""
        return self.table.groupby(["source", "label"]).size().unstack(fill_value=0)


def build_training_examples(
    datasets_dir: Path, text_sources: list[str], speech_sources: list[str], reviewed_file: Path | None = None
) -> TrainingExamples:
    """The datasets' examples on the platform's label set, with the reviewed labels of ``reviewed_file``
    (a ``reviewed_labels`` parquet file) when it exists."""
    text = load_text(Path(datasets_dir), text_sources)
    speech = load_speech(Path(datasets_dir), speech_sources)
    reviewed = None
    if reviewed_file is not None and Path(reviewed_file).exists():
        reviewed = pd.read_parquet(reviewed_file)[TEXT_COLUMNS]
    table = pd.concat([text, reviewed, speech], ignore_index=True)
    return TrainingExamples(table, len(text), len(speech), 0 if reviewed is None else len(reviewed))
