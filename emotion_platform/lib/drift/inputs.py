"""Profile inputs from the two places rows come from: labelled dataset examples, and predicted media segments.

A window of new media is the set of files whose segment predictions
(``<data>/predictions/<media_id>.segments.json``) were written in a time window; each segment becomes
one row, described by the ``features`` asset of its file (words, descriptors, speech embedding):
nothing is computed again for drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.acoustic.dataset import extract_features
from emotion_platform.lib.acoustic.features import FEATURE_NAMES
from emotion_platform.lib.drift.columns import ProfileInput
from emotion_platform.lib.features import MediaFeatures
from emotion_platform.lib.predict import SegmentPredictions
from emotion_platform.lib.speech.corpus import table_embeddings


def _nan_rows(n: int, width: int) -> np.ndarray:
    return np.full((n, width), np.nan)


def inputs_from_examples(examples: pd.DataFrame, feature_cache: Path, speech_branch=None) -> ProfileInput:
    """Rows of a training table (``splits``): text examples have no audio; speech clips have both.

    Descriptors and speech embeddings (under ``speech_branch``'s encoder, when given) of clips come
    from the platform's feature cache (computed once per clip).
    """
    examples = examples.reset_index(drop=True)
    features = _nan_rows(len(examples), len(FEATURE_NAMES))
    width = speech_branch.spec.dim if speech_branch is not None else 0
    speech = _nan_rows(len(examples), width)
    clips = examples.index[examples["modality"] == "speech"]
    if len(clips):
        features[clips], _ = extract_features(examples.loc[clips], feature_cache)
        if speech_branch is not None:
            speech[clips] = table_embeddings(examples.loc[clips], speech_branch.encoder, feature_cache)
    contexts = examples["context"] if "context" in examples else [""] * len(examples)
    return ProfileInput(
        texts=[t if isinstance(t, str) else None for t in examples["text"]],
        contexts=[c if isinstance(c, str) else "" for c in contexts],
        features=features,
        groups=[str(s) for s in examples["speaker"]],
        speech=speech,
    )


def inputs_from_features(found: MediaFeatures) -> ProfileInput:
    """One row per segment of one media file's features."""
    contexts = [""] + [t or "" for t in found.texts[:-1]] if len(found) else []
    return ProfileInput(
        list(found.texts),
        contexts,
        found.descriptors.astype(float),
        [found.media_id] * len(found),
        found.speech.astype(float),
    )


def inputs_from_segments(
    records: list[SegmentPredictions], features_of: Callable[[str], MediaFeatures | None]
) -> ProfileInput:
    """Rows of every media record's segments; ``features_of(media_id)`` gives its stored features
    (None: the file has none, and its segments are not profiled)."""
    parts = [
        inputs_from_features(found)
        for found in (features_of(r.media_id) for r in records)
        if found is not None and len(found)
    ]
    return ProfileInput.concat(parts) if parts else ProfileInput([], [], _nan_rows(0, len(FEATURE_NAMES)), [])


def segment_records_between(predictions_dir: Path, start: dt.datetime, end: dt.datetime) -> list[SegmentPredictions]:
    """The segment-prediction records written in ``[start, end)`` (by file modification time), oldest first;
    a file that is not one is a clear error (pydantic's, naming what is missing)."""
    found = []
    for path in Path(predictions_dir).glob("*.segments.json"):
        written = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if start <= written < end:
            found.append((written, path))
    return [SegmentPredictions.load(path) for _, path in sorted(found)]
