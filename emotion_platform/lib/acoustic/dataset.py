"""Acoustic features of a table of clips, cached on disk (keyed by the clip list and feature version)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from joblib import Parallel, delayed

from emotion_platform.lib import atomic
from emotion_platform.lib.acoustic.features import FEATURE_NAMES, FEATURE_VERSION, SR, feature_vector, log_mel_stats
from emotion_platform.lib.progress import Progress


def load_clip(path: str) -> np.ndarray:
    """A dataset clip as 16 kHz mono float32 (the shipped Opus files decode at 16 kHz)."""
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != SR:
        import librosa

        audio = librosa.resample(audio, orig_sr=rate, target_sr=SR)
    return audio


def _both(path: str) -> tuple[np.ndarray, np.ndarray]:
    audio = load_clip(path)
    return feature_vector(audio), log_mel_stats(audio)


def extract_features(clips: pd.DataFrame, cache_dir: Path, n_jobs: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(descriptors, log-mel statistics) for every row's ``audio_path``; computed once, then read from cache."""
    paths = clips["audio_path"].tolist()
    # Keyed by dataset-relative ids, so the cache survives the datasets folder moving.
    ids = clips["example_id"].tolist() if "example_id" in clips else paths
    key = hashlib.sha256(("\n".join(ids) + f"\nv{FEATURE_VERSION}").encode()).hexdigest()[:16]
    cache = Path(cache_dir) / f"acoustic-{key}.npz"
    if cache.exists():
        data = np.load(cache)
        return data["features"], data["log_mel"]
    if not paths:
        return np.zeros((0, len(FEATURE_NAMES)), np.float32), np.zeros((0, 128), np.float32)
    # The first clip runs in this process: librosa's numba kernels compile and fill their on-disk
    # cache once, instead of in every worker at the same time (concurrent compilation into a fresh
    # cache has crashed workers).
    with Progress("acoustic features", len(paths), "clips") as done:
        rows = [_both(paths[0])]
        done.advance()
        for row in Parallel(n_jobs=n_jobs, batch_size=16, return_as="generator")(delayed(_both)(p) for p in paths[1:]):
            rows.append(row)
            done.advance()
    features = np.stack([r[0] for r in rows])
    log_mel = np.stack([r[1] for r in rows])
    with atomic.atomic_path(cache) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, features=features, log_mel=log_mel)
    return features, log_mel
