"""A reviewer's correction on the page reaches ``reviewed_labels`` and the next ``training_examples``,
in the train split only (grouped by media file), with who, when and which model."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from emotion_platform.assets.models.reviewed import ReviewStoreResource, reviewed_labels
from emotion_platform.assets.models.training_data import splits, training_examples
from emotion_platform.resources import PARQUET_IO_MANAGER, ParquetIOManager, StorageResource
from emotion_platform.resources.mlflow import DatasetsResource
from emotion_platform.serving.web.history import HistoryStore
from emotion_platform.settings import PlatformSettings

pytestmark = pytest.mark.slow

RESULT = {
    "segments": [
        {
            "start": 0.0,
            "end": 2.1,
            "text": "I can't believe you kept this from me.",
            "top": "neutral",
            "confidence": 0.4,
        },
        {"start": 2.1, "end": 3.0, "text": "", "top": "neutral", "confidence": 0.5},
        {"start": 3.0, "end": 6.2, "text": "What a wonderful surprise this is!", "top": "joy", "confidence": 0.6},
    ],
    "summary": {"dominant": "neutral"},
}


def test_a_correction_becomes_a_training_example_never_tested_on(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    store = HistoryStore(url)
    analysis = store.create(
        filename="call.wav",
        media_path=str(tmp_path / "call.wav"),
        media_kind="audio",
        size_bytes=1,
        sha256="c0ffee" * 10 + "abcd",
        owner="key1",
    )
    store.claim(analysis.id, "worker")
    store.finish(analysis.id, RESULT, {"name": "emotion-model", "version": "7"})
    store.correct(analysis.id, 0, "anger", "Ana", "key1")
    store.correct(analysis.id, 1, "sadness", "Ana", "key1")  # no words: nothing for the text branch
    store.correct(analysis.id, 2, "surprise", "Bo", "key2")
    settings = PlatformSettings()
    resources = {
        "storage": StorageResource(root=str(tmp_path / "data"), inbox=str(tmp_path / "inbox")),
        PARQUET_IO_MANAGER: ParquetIOManager(root=str(tmp_path / "data")),
        "datasets": DatasetsResource(
            root=str(settings.datasets_dir),
            feature_cache=str(settings.cache_dir / "features"),
            model_cache=str(settings.cache_dir),
        ),
        "review_store": ReviewStoreResource(url=url),
    }
    config = {"text_sources": ["meld"], "speech_sources": ["ravdess_speech"]}

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [reviewed_labels, training_examples, splits],
            instance=instance,
            resources=resources,
            run_config={"ops": {"training_examples": {"config": config}, "splits": {"config": config}}},
        )
    assert result.success
    reviewed = pd.read_parquet(result.asset_value("reviewed_labels"))
    assert list(reviewed["label"]) == ["anger", "surprise"]
    assert list(reviewed["reviewer"]) == ["Ana", "Bo"] and set(reviewed["model_version"]) == {"7"}
    assert list(reviewed["predicted"]) == ["neutral", "joy"] and set(reviewed["media_file"]) == {"call.wav"}
    meta = result.asset_materializations_for_node("reviewed_labels")[0].metadata
    assert meta["examples"].value == 2 and meta["label_differs_from_model"].value == 2

    examples = result.asset_value("training_examples")
    mine = examples[examples["source"] == "reviewed"]
    assert sorted(mine["text"]) == ["I can't believe you kept this from me.", "What a wonderful surprise this is!"]
    assert (examples["source"] == "meld").sum() > 1000  # the published corpus is still all there
    split = result.asset_value("splits")
    assert set(split.loc[split["source"] == "reviewed", "split"]) == {"train"}
