"""``reviewed_labels``: the corrections reviewers made on the web page, as training examples."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib import atomic
from emotion_platform.lib.datasets.reviewed import reviewed_examples
from emotion_platform.resources import StorageResource


class ReviewStoreResource(dg.ConfigurableResource):
    """The web page's database (analyses and corrections), read-only here."""

    url: str

    def corrections(self) -> list[dict]:
        from emotion_platform.serving.web.history import HistoryStore

        return HistoryStore(self.url).reviewed()


def reviewed_labels_path(storage: StorageResource) -> Path:
    return Path(storage.root) / "training" / "reviewed_labels.parquet"


@dg.asset(group_name=MODELS_GROUP, kinds={"pandas"})
def reviewed_labels(review_store: ReviewStoreResource, storage: StorageResource) -> dg.MaterializeResult[str]:
    """Segments whose emotion a reviewer corrected on the web page (text, chosen emotion, who, when, which
    model), ready to join the training examples; always in the train split, grouped by media file."""
    df = reviewed_examples(review_store.corrections())
    path = reviewed_labels_path(storage)
    atomic.write_parquet(path, df)
    changed = int((df["label"] != df["predicted"]).sum()) if len(df) else 0
    return dg.MaterializeResult(
        value=str(path),
        metadata={
            "examples": len(df),
            "media_files": int(df["group"].nunique()) if len(df) else 0,
            "reviewers": int(df["reviewer"].nunique()) if len(df) else 0,
            "label_differs_from_model": changed,
            "by_label": dg.MetadataValue.json(df["label"].value_counts().to_dict() if len(df) else {}),
            "file": dg.MetadataValue.path(str(path)),
        },
    )
