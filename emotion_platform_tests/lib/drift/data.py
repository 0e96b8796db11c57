"""Small real slices of the datasets for drift tests, and a small real model to profile them with.

RAVDESS clips of one seeded pool are split at random into reference rows and a no-shift window
(the same distribution by construction); EmoDB clips (German, acted, cut to 2 s) are the shifted
source. Acoustic descriptors and speech embeddings go through the platform's feature cache, so only
the first run pays. The model profiling them is the tests' small real bundle (``small_bundle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.settings import PlatformSettings

REFERENCE_CLIPS, WINDOW_CLIPS = 160, 50


@dataclass(frozen=True)
class DriftSlices:
    reference: pd.DataFrame  # RAVDESS clips
    same: pd.DataFrame  # other RAVDESS clips of the same pool
    shifted: pd.DataFrame  # EmoDB clips


def datasets_dir() -> Path:
    return PlatformSettings().datasets_dir


def feature_cache() -> Path:
    return PlatformSettings().cache_dir / "features"


def drift_slices(seed: int = 3) -> DriftSlices:
    speech = load_speech(datasets_dir(), ["ravdess_speech", "emodb_2s"])
    ravdess = speech[speech["source"] == "ravdess_speech"].sample(REFERENCE_CLIPS + WINDOW_CLIPS, random_state=seed)
    emodb = speech[speech["source"] == "emodb_2s"].sample(WINDOW_CLIPS, random_state=seed)
    return DriftSlices(
        ravdess.iloc[:REFERENCE_CLIPS].reset_index(drop=True),
        ravdess.iloc[REFERENCE_CLIPS:].reset_index(drop=True),
        emodb.reset_index(drop=True),
    )
