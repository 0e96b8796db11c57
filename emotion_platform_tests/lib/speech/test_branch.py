"""The speech branch trained on real RAVDESS clips: above chance on unseen actors, saved and loaded exactly."""

import json

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.labels import EMOTIONS, LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics
from emotion_platform.lib.speech.branch import HEAD_FILE, SPEC_FILE, IncompatibleFeatures, SpeechBranch
from emotion_platform.lib.speech.corpus import table_embeddings
from emotion_platform.lib.speech.encoder import SPEECH_FEATURE_VERSION
from emotion_platform.lib.speech.training import train_speech_branch
from emotion_platform.lib.whisper.models import WHISPER_MODELS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(ravdess, feature_cache, model_cache):
    """A branch trained on 4 actors (2 clips per emotion each), calibrated on 2 others, tested on 4 more."""
    speakers = sorted(ravdess["speaker"].unique())

    def clips(actors: list[str], per_class: int):
        return ravdess[ravdess["speaker"].isin(actors)].groupby(["speaker", "label"]).head(per_class)

    train, validation, test = clips(speakers[:4], 2), clips(speakers[4:6], 1), clips(speakers[-4:], 2)
    branch, report = train_speech_branch(train, validation, feature_cache, model_cache)
    return branch, report, test


def test_a_branch_trained_on_some_actors_is_above_chance_on_others(trained, feature_cache) -> None:
    branch, report, test = trained
    assert (report.train_clips, report.validation_clips) == (56, 14)
    assert report.temperature == branch.head.temperature > 0 and report.validation["n"] == 14
    p = branch.predict_proba(table_embeddings(test, branch.encoder, feature_cache))
    assert p.shape == (56, len(EMOTIONS))
    metrics = classification_metrics(test["label"].map(LABEL_TO_ID).to_numpy(), p)
    # Chance is 1/7 (0.14); 17 or more right of 56 by chance has probability below 1e-3.
    assert metrics["accuracy"] >= 0.30 and metrics["uar"] >= 0.30, metrics


def test_save_and_load_give_identical_probabilities(trained, ravdess, model_cache, tmp_path) -> None:
    branch, _, test = trained
    folder = branch.save(tmp_path / "speech")
    record = json.loads((folder / SPEC_FILE).read_text())
    assert record["spec"] == branch.spec.to_dict() and record["feature_version"] == SPEECH_FEATURE_VERSION
    assert record["whisper_sha256"] == WHISPER_MODELS[branch.spec.whisper_model].sha256
    loaded = SpeechBranch.load(folder, cache_dir=model_cache)
    assert loaded.spec == branch.spec and loaded.head.temperature == branch.head.temperature
    clips = [load_clip(p) for p in test["audio_path"].iloc[:3]]
    embeddings = loaded.embed(clips)
    np.testing.assert_array_equal(embeddings, branch.embed(clips))
    np.testing.assert_array_equal(loaded.predict_proba(embeddings), branch.predict_proba(embeddings))
    np.testing.assert_array_equal(loaded.predict_proba(embeddings[0]), branch.predict_proba(embeddings[:1]))


def test_features_of_another_encoder_or_version_are_refused(trained, tmp_path) -> None:
    branch, _, _ = trained
    with pytest.raises(IncompatibleFeatures, match="512 columns"):
        branch.predict_proba(np.zeros((2, 512), dtype=np.float32))
    folder = branch.save(tmp_path / "speech")
    record = json.loads((folder / SPEC_FILE).read_text())
    (folder / SPEC_FILE).write_text(json.dumps(record | {"feature_version": SPEECH_FEATURE_VERSION + 1}))
    with pytest.raises(IncompatibleFeatures, match="retrain"):
        SpeechBranch.load(folder)
    (folder / SPEC_FILE).write_text(json.dumps(record))
    import joblib

    joblib.dump({"not": "a head"}, folder / HEAD_FILE)
    with pytest.raises(TypeError, match="not a SpeechHead"):
        SpeechBranch.load(folder)
