"""A candidate's evaluation on a small real test split, its champion comparison, and its flat metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.text import load_meld
from emotion_platform.lib.evaluation import (
    Champion,
    evaluate_candidate,
    evaluation_metrics,
    speech_branch_metrics,
)
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.settings import PlatformSettings
from emotion_platform_tests.small_bundle import small_speech_clips, small_text_model


@pytest.fixture(scope="module")
def meld_test() -> pd.DataFrame:
    lines = load_meld(PlatformSettings().datasets_dir).sort_values("example_id")
    return lines[lines["official_split"] == "test"].groupby("label").head(2)


def test_a_text_only_candidate_is_evaluated_and_compared_with_the_champion(meld_test, tmp_path) -> None:
    text = small_text_model(tmp_path)
    bundle_dir = tmp_path / "bundle"
    text.save(bundle_dir / "text")
    bundle = EmotionBundle(text, None, None, face=None)
    loaded = []
    champion = Champion("4", lambda: loaded.append(True) or (bundle, bundle_dir))
    evaluation = evaluate_candidate(
        bundle, bundle_dir, meld_test, meld_test.iloc[:0], tmp_path, None, latency_examples=3, champion=champion
    )
    candidate = evaluation.candidate
    assert candidate["speech"] == {} and candidate["size_mb"] > 0 and loaded == [True]
    assert evaluation.champion["version"] == "4"
    assert evaluation.champion["weighted_f1"] == pytest.approx(candidate["weighted_f1"])
    assert evaluate_candidate(bundle, bundle_dir, meld_test, meld_test.iloc[:0], tmp_path, None, 3).champion is None

    metrics = evaluation_metrics(candidate)
    assert metrics["test_weighted_f1"] == candidate["weighted_f1"]
    assert metrics["latency_p95_ms"] == candidate["latency"]["p95_ms"]
    assert {f"test_f1_{emotion}" for emotion in EMOTIONS} <= set(metrics)
    assert len(metrics) == 7 + len(EMOTIONS) + 2
    assert not any(key.startswith("speech_test_") for key in metrics)


def test_each_branch_and_the_fusion_are_scored_on_speech_clips(emotion_bundle, feature_cache) -> None:
    _, clips = small_speech_clips()
    scores = speech_branch_metrics(emotion_bundle, clips, feature_cache, None)
    assert set(scores) == {"text", "speech", "fused"}
    assert all(s["n"] == len(clips) and "confusion_matrix" not in s for s in scores.values())
    assert speech_branch_metrics(emotion_bundle, clips.iloc[:0], feature_cache, None) == {}
    metrics = evaluation_metrics(
        {"accuracy": 0.5, "macro_f1": 0.4, "weighted_f1": 0.45, "uar": 0.4, "ece": 0.1, "ece_uncalibrated": 0.2}
        | {"size_mb": 9.0, "per_class_f1": {}, "latency": {"p50_ms": 1.0, "p95_ms": 2.0}, "speech": scores}
    )
    assert metrics["speech_test_fused_uar"] == scores["fused"]["uar"] and len(metrics) == 7 + 9 + 2
