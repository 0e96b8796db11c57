"""Drift on real data: RAVDESS clips like the reference do not drift, EmoDB clips (German, 2 s) do."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.drift.columns import ACOUSTIC_COLUMNS, profile_columns
from emotion_platform.lib.drift.inputs import inputs_from_examples, inputs_from_features
from emotion_platform.lib.drift.reference import ReferenceProfile, build_reference
from emotion_platform.lib.drift.report import DriftPolicy, compare
from emotion_platform.lib.features import media_features
from emotion_platform.lib.transcription.types import Segment, Transcript
from emotion_platform_tests.lib.drift.data import drift_slices, feature_cache
from emotion_platform_tests.small_bundle import small_bundle

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drift")
    slices = drift_slices()
    bundle = small_bundle(folder)
    reference = build_reference(
        bundle, slices.reference, feature_cache(), model_name="emotion-model", model_version="1", n_components=8
    )
    same, shifted = (
        profile_columns(bundle, inputs_from_examples(rows, feature_cache(), bundle.speech), reference.reducer)[0]
        for rows in (slices.same, slices.shifted)
    )
    return {
        "bundle": bundle,
        "reference": reference,
        "same": same,
        "shifted": shifted,
        "slices": slices,
        "folder": folder,
    }


def test_window_from_the_training_distribution_does_not_drift(profiled) -> None:
    snapshot, summary = compare(profiled["reference"].frame, profiled["same"], DriftPolicy())
    assert summary.evaluated and snapshot is not None
    assert not summary.dataset_drift, summary.reason
    tested = {c["column"] for c in summary.columns}
    assert set(ACOUSTIC_COLUMNS) | {"words_per_second", "predicted_label", "confidence"} <= tested
    assert summary.per_column_threshold == pytest.approx(0.05 / summary.tested_count)


def test_window_from_another_dataset_drifts(profiled, tmp_path: Path) -> None:
    snapshot, summary = compare(profiled["reference"].frame, profiled["shifted"], DriftPolicy())
    assert summary.dataset_drift, summary.reason
    assert "duration_s" in summary.drifted_columns  # EmoDB was cut to 2 s; RAVDESS clips last 3-5 s
    assert summary.drifted_share >= 0.1
    rows = {c["column"]: c for c in summary.columns}
    assert rows["duration_s"]["test"] == "ks" and rows["duration_s"]["p_value"] < rows["duration_s"]["threshold"]
    assert rows["predicted_label"]["test"] == "chi2_two_sample"
    snapshot.save_html(str(tmp_path / "report.html"))
    html = (tmp_path / "report.html").read_text()
    assert "duration_s" in html and len(html) > 100_000


def test_window_columns_match_the_reference_columns_by_construction(profiled) -> None:
    """Clips profiled as media (decoded audio -> features asset -> rows) equal the same clips profiled
    from the dataset table, predictions included."""
    bundle, clips = profiled["bundle"], profiled["slices"].same.iloc[:4]
    parts = []
    for i, clip in enumerate(clips.itertuples()):
        audio = load_clip(clip.audio_path)
        segment = Segment(
            id=0, start=0.0, end=audio.size / SAMPLE_RATE, text=clip.text, avg_logprob=-0.1, no_speech_prob=0.0
        )
        transcript = Transcript(status="ok", duration_s=audio.size / SAMPLE_RATE, segments=[segment])
        parts.append(inputs_from_features(media_features(bundle, transcript, audio, f"clip-{i}")))
    from emotion_platform.lib.drift.columns import ProfileInput

    from_media = profile_columns(bundle, ProfileInput.concat(parts), profiled["reference"].reducer)[0]
    assert list(from_media.columns) == list(profiled["reference"].frame.columns)
    pd.testing.assert_frame_equal(from_media, profiled["same"].iloc[:4], atol=1e-4)


def test_reference_profile_round_trip(profiled, tmp_path: Path) -> None:
    reference = profiled["reference"]
    folder = reference.save(tmp_path / "emotion-model-v1")
    loaded = ReferenceProfile.load(folder)
    pd.testing.assert_frame_equal(loaded.frame, reference.frame)
    np.testing.assert_allclose(loaded.reducer.components, reference.reducer.components)
    assert loaded.model_version == "1" and loaded.meta["rows_per_source"] == {"ravdess_speech": 160}
    assert set(ACOUSTIC_COLUMNS) <= set(loaded.frame.columns)
    with pytest.raises(FileNotFoundError, match="no reference profile"):
        ReferenceProfile.load(tmp_path / "missing")
