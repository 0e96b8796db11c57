"""Transcripts of dataset clips, computed once per clip content and transcriber, then read from cache.

Training reads these where it must see the words as the platform will read them (Whisper's
transcript, with its misheard words and its "!"), not the dataset's own sentence: the words/voice
fusion is fitted on them. The cache is one JSON file per transcriber (``<cache>/transcripts-<key>.json``,
SHA-256 of the clip's bytes -> text), written atomically after every batch, so an interrupted run
keeps what it did.
"""

from __future__ import annotations

import json
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.media.ids import sha256_file
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.transcription.base import Transcriber


def cache_path(cache_dir: Path, key: str) -> Path:
    return Path(cache_dir) / f"transcripts-{key}.json"


def clip_transcripts(
    paths: list[str], transcriber: Transcriber, cache_dir: Path, key: str, batch_size: int = 16, progress: bool = True
) -> list[str]:
    """The transcript text of each audio file (segments joined; "" where no words were recognised).

    ``key`` names the transcriber (e.g. ``faster-whisper-tiny.en``): another transcriber is another cache.
    """
    store = cache_path(cache_dir, key)
    cached: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    digests = [sha256_file(Path(p)) for p in paths]
    missing = list({d: p for d, p in zip(digests, paths, strict=True) if d not in cached}.items())
    if not missing:
        return [cached[d] for d in digests]
    with Progress("transcripts", len(missing), "clips", reporters=None if progress else []) as done:
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            for (digest, _), transcript in zip(
                batch, transcriber.transcribe_many([load_clip(p) for _, p in batch]), strict=True
            ):
                cached[digest] = " ".join(s.text.strip() for s in transcript.segments).strip()
            atomic.write_json(store, cached)
            done.advance(len(batch))
    return [cached[d] for d in digests]
