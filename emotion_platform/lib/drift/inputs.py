"""Profile inputs from the two places rows come from: labelled dataset examples, and predicted media segments.

A window of new media is the set of files whose segment predictions
(``<data>/predictions/<media_id>.segments.json``) were written in a time window; each segment with
its words and its span of the decoded audio becomes one row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib.acoustic.dataset import extract_features
from emotion_platform.lib.acoustic.features import FEATURE_NAMES, SR, feature_vector
from emotion_platform.lib.drift.columns import ProfileInput

MIN_SEGMENT_SAMPLES = SR // 10


def _nan_features(n: int) -> np.ndarray:
    return np.full((n, len(FEATURE_NAMES)), np.nan)


def inputs_from_examples(examples: pd.DataFrame, feature_cache: Path) -> ProfileInput:
    """Rows of a training table (``splits``): text examples have no audio; speech clips have both.

    Acoustic descriptors of clips come from the platform's feature cache (computed once per clip list).
    """
    examples = examples.reset_index(drop=True)
    features = _nan_features(len(examples))
    speech = examples.index[examples["modality"] == "speech"]
    if len(speech):
        features[speech], _ = extract_features(examples.loc[speech], feature_cache)
    contexts = examples["context"] if "context" in examples else [""] * len(examples)
    return ProfileInput(texts=[t if isinstance(t, str) else None for t in examples["text"]],
                        contexts=[c if isinstance(c, str) else "" for c in contexts],
                        features=features, groups=[str(s) for s in examples["speaker"]])


def inputs_from_audio(texts: list[str | None], audios: list[np.ndarray | None], groups: list[str],
                      contexts: list[str] | None = None) -> ProfileInput:
    """Rows from in-memory audio (and words): descriptors are computed here, clip by clip."""
    features = _nan_features(len(texts))
    for i, audio in enumerate(audios):
        if audio is not None and audio.size >= MIN_SEGMENT_SAMPLES:
            features[i] = feature_vector(audio)
    return ProfileInput(list(texts), contexts or [""] * len(texts), features, list(groups))


def inputs_from_segments(records: list[dict], load_audio: Callable[[str], np.ndarray | None]) -> ProfileInput:
    """One row per predicted segment of each media record; ``load_audio(media_id)`` gives its decoded audio."""
    texts, contexts, clips, groups = [], [], [], []
    for record in records:
        audio = load_audio(record["media_id"])
        previous = ""
        for segment in record["segments"]:
            texts.append(segment.get("text"))
            contexts.append(previous)
            previous = segment.get("text") or ""
            clips.append(None if audio is None else
                         audio[int(segment["start"] * SR) : int(segment["end"] * SR)])
            groups.append(record["media_id"])
    return inputs_from_audio(texts, clips, groups, contexts)


def segment_records_between(predictions_dir: Path, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """The segment-prediction records written in ``[start, end)`` (by file modification time), oldest first."""
    found = []
    for path in Path(predictions_dir).glob("*.segments.json"):
        written = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if start <= written < end:
            found.append((written, path))
    records = []
    for _, path in sorted(found):
        record = json.loads(path.read_text())
        if "media_id" not in record or "segments" not in record:
            raise ValueError(f"{path} is not a segment-prediction record (no media_id/segments)")
        records.append(record)
    return records
