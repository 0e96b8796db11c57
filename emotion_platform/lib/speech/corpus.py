"""Speech embeddings of dataset clips, computed once per clip and encoder spec, then read from cache.

The cache is one table per encoder spec (``<cache>/speech-<spec key>.npz``: the SHA-256 of each
clip's bytes and its embedding), so a clip is keyed by its content, not its path: a moved datasets
folder or a re-assembled clip list reuses every row, and a changed clip is embedded again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotion_platform.lib import atomic
from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.media.ids import sha256_file
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.speech.encoder import WhisperSpeechEncoder


def cache_path(cache_dir: Path, encoder: WhisperSpeechEncoder) -> Path:
    return Path(cache_dir) / f"speech-{encoder.spec.key}.npz"


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    data = np.load(path)
    return dict(zip(data["sha256"].tolist(), data["embedding"], strict=True))


def clip_embeddings(
    paths: list[str], encoder: WhisperSpeechEncoder, cache_dir: Path, progress: bool = True
) -> np.ndarray:
    """``(len(paths), dim)`` embeddings of audio files; new ones are computed and added to the cache."""
    if not paths:
        return np.zeros((0, encoder.spec.dim), dtype=np.float32)
    store = cache_path(cache_dir, encoder)
    cached = _read(store)
    digests = [sha256_file(Path(p)) for p in paths]
    missing = {d: p for d, p in zip(digests, paths, strict=True) if d not in cached}
    if missing:
        with Progress("speech embeddings", len(missing), "clips", reporters=None if progress else []) as done:
            for digest, path in missing.items():
                cached[digest] = encoder.embed_one(load_clip(path))
                done.advance()
        keys = sorted(cached)
        with atomic.atomic_path(store) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, sha256=np.array(keys), embedding=np.stack([cached[k] for k in keys]))
    return np.stack([cached[d] for d in digests]).astype(np.float32)


def table_embeddings(clips: pd.DataFrame, encoder: WhisperSpeechEncoder, cache_dir: Path) -> np.ndarray:
    """Embeddings of a table of clips (its ``audio_path`` column), in row order."""
    return clip_embeddings(clips["audio_path"].tolist(), encoder, cache_dir)
