"""The reference profile of one model version: profile columns of its training data and the embedding PCA.

<data>/drift/reference/<model>-v<version>/profile.parquet   the reference rows (profile columns)
<data>/drift/reference/<model>-v<version>/reducer.npz       the embedding reduction fitted on them
<data>/drift/reference/<model>-v<version>/profile.json      model version, sources, sizes, columns
<data>/drift/reference/current.json                         the ``reference_profile`` asset's record
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emotion_platform.lib import atomic
from emotion_platform.lib.drift.columns import EmbeddingReducer, profile_columns
from emotion_platform.lib.drift.inputs import inputs_from_examples
from emotion_platform.lib.records import JsonRecord

PROFILE_FILE, REDUCER_FILE, META_FILE = "profile.parquet", "reducer.npz", "profile.json"
REFERENCE_RECORD_FILE = "drift/reference/current.json"
"""Where the record IO manager keeps the ``reference_profile`` record, under the storage root."""


@dataclass
class ReferenceProfile:
    frame: pd.DataFrame
    reducer: EmbeddingReducer
    meta: dict

    @property
    def model_version(self) -> str:
        return str(self.meta["model_version"])

    def save(self, folder: Path) -> Path:
        with atomic.atomic_dir(Path(folder)) as tmp:
            self.frame.to_parquet(tmp / PROFILE_FILE, index=False)
            self.reducer.save(tmp / REDUCER_FILE)
            (tmp / META_FILE).write_text(json.dumps(self.meta, indent=2, default=str))
        return Path(folder)

    @classmethod
    def load(cls, folder: Path) -> ReferenceProfile:
        folder = Path(folder)
        if not (folder / META_FILE).exists():
            raise FileNotFoundError(f"{folder} holds no reference profile ({META_FILE} missing)")
        return cls(
            pd.read_parquet(folder / PROFILE_FILE),
            EmbeddingReducer.load(folder / REDUCER_FILE),
            json.loads((folder / META_FILE).read_text()),
        )


class ReferenceRecord(JsonRecord):
    """The ``reference_profile`` asset's value: whose training data was profiled, and where the profile is."""

    model_name: str
    model_version: str
    folder: str
    rows: int
    mlflow_run_id: str

    def profile(self) -> ReferenceProfile:
        return ReferenceProfile.load(Path(self.folder))


def reference_dir(data_root: Path, model_name: str, version: str) -> Path:
    return Path(data_root) / "drift" / "reference" / f"{model_name}-v{version}"


def sample_per_source(examples: pd.DataFrame, max_rows_per_source: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows_per_source`` rows of each source (seeded); smaller sources whole, order kept."""
    parts = [
        rows.sample(max_rows_per_source, random_state=seed) if len(rows) > max_rows_per_source else rows
        for _, rows in examples.groupby("source", sort=True)
    ]
    return pd.concat(parts).sort_index() if parts else examples.iloc[:0]


def build_reference(
    bundle,
    examples: pd.DataFrame,
    feature_cache: Path,
    *,
    model_name: str,
    model_version: str,
    n_components: int = 16,
    max_rows_per_source: int = 1000,
    seed: int = 0,
) -> ReferenceProfile:
    """Profile the training examples of ``bundle`` (a training table such as the ``train`` rows of ``splits``)."""
    if examples.empty:
        raise ValueError("no training examples to build a reference profile from")
    sample = sample_per_source(examples, max_rows_per_source, seed)
    frame, reducer = profile_columns(
        bundle, inputs_from_examples(sample, feature_cache, bundle.speech), n_components=n_components
    )
    meta = {
        "model_name": model_name,
        "model_version": str(model_version),
        "rows": len(frame),
        "rows_per_source": sample["source"].value_counts().sort_index().to_dict(),
        "embedding_components": reducer.k,
        "columns": list(frame.columns),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return ReferenceProfile(frame, reducer, meta)
