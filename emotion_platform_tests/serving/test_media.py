"""The media path's start-up warm-up: the acoustic features run once before the first upload."""

from __future__ import annotations

from types import SimpleNamespace

from emotion_platform.lib.acoustic.features import FEATURE_NAMES, feature_vector
from emotion_platform.serving import media
from emotion_platform.serving.media import warm_up_acoustic_branch


def test_a_model_without_an_acoustic_branch_needs_no_warm_up() -> None:
    assert warm_up_acoustic_branch(SimpleNamespace(acoustic=None)) is None


def test_the_warm_up_describes_a_voiced_signal(monkeypatch) -> None:
    described = []

    def recording(audio, sr):
        described.append(feature_vector(audio, sr))
        return described[-1]

    monkeypatch.setattr(media, "feature_vector", recording)
    assert isinstance(warm_up_acoustic_branch(SimpleNamespace(acoustic=object())), float)
    (vector,) = described
    features = dict(zip(FEATURE_NAMES, vector, strict=True))
    assert features["voiced_fraction"] > 0.5  # the pitch tracker ran on a voiced tone, not on silence
