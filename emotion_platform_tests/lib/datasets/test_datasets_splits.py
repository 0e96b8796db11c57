"""Loaders on the real datasets, the shared label set, and speaker-independent splits."""

import pytest

from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.splits import assign_splits, speakers_in_several_splits
from emotion_platform.lib.datasets.text import load_emorynlp, load_meld
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.settings import PlatformSettings

DATASETS = PlatformSettings().datasets_dir


def test_meld_is_complete_with_dialogue_context() -> None:
    meld = load_meld(DATASETS)
    assert len(meld) == 13708 and set(meld["label"]) == set(EMOTIONS)
    assert meld.groupby("official_split").size().to_dict() == {"dev": 1109, "test": 2610, "train": 9989}
    first, second = meld.iloc[0], meld.iloc[1]
    assert first["context"] == "" and second["context"] == first["text"]


def test_emorynlp_drops_labels_without_counterpart() -> None:
    emory = load_emorynlp(DATASETS)
    assert set(emory["label"]) == {"anger", "fear", "joy", "neutral", "sadness"}
    assert len(emory) == 7941


def test_speech_splits_never_share_a_speaker_and_meld_test_stays_test() -> None:
    speech = load_speech(DATASETS, ["ravdess_speech", "emodb_2s", "urdu_ser"])
    assert "calm" not in set(speech["label"]) and len(speech[speech["source"] == "ravdess_speech"]) == 1248
    df = assign_splits(__import__("pandas").concat([load_meld(DATASETS), speech]), seed=13)
    assert not speakers_in_several_splits(df, ["ravdess_speech", "emodb_2s", "urdu_ser"])
    meld = df[df["source"] == "meld"]
    assert (meld["split"] == meld["official_split"].map({"train": "train", "dev": "validation", "test": "test"})).all()
    again = assign_splits(speech, seed=13)
    assert (again["split"].to_numpy() == df[df["modality"] == "speech"]["split"].to_numpy()).all()


def test_unknown_sources_are_named() -> None:
    with pytest.raises(ValueError, match="unknown speech sources"):
        load_speech(DATASETS, ["crema_d"])
