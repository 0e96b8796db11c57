"""The clip-embedding cache: computed once per clip content and encoder spec, then read back."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.speech.corpus import cache_path, clip_embeddings, table_embeddings


@pytest.fixture()
def counted(speech_encoder, monkeypatch) -> list[int]:
    """The real encoder, with each clip it embeds counted."""
    calls: list[int] = []
    embed_one = speech_encoder.embed_one

    def counting(audio: np.ndarray) -> np.ndarray:
        calls.append(audio.size)
        return embed_one(audio)

    monkeypatch.setattr(speech_encoder, "embed_one", counting)
    return calls


def test_clips_are_embedded_once_then_read_from_the_cache(speech_encoder, counted, ravdess, tmp_path) -> None:
    paths = ravdess["audio_path"].iloc[:3].tolist()
    first = clip_embeddings(paths, speech_encoder, tmp_path, progress=False)
    assert first.shape == (3, speech_encoder.spec.dim) and len(counted) == 3
    np.testing.assert_array_equal(first[1], speech_encoder.embed_one(load_clip(paths[1])))
    counted.clear()
    store = cache_path(tmp_path, speech_encoder)
    assert store.name == f"speech-{speech_encoder.spec.key}.npz"
    written = store.stat().st_mtime_ns
    again = clip_embeddings(list(reversed(paths)), speech_encoder, tmp_path, progress=False)
    assert counted == [] and store.stat().st_mtime_ns == written  # nothing computed, nothing rewritten
    np.testing.assert_array_equal(again, first[::-1])
    # One new clip among cached ones: only it is embedded, and the table grows by one row.
    grown = clip_embeddings(paths[:2] + [ravdess["audio_path"].iloc[3]], speech_encoder, tmp_path, progress=False)
    assert len(counted) == 1 and len(np.load(store)["sha256"]) == 4
    np.testing.assert_array_equal(grown[:2], first[:2])
    assert clip_embeddings([], speech_encoder, tmp_path).shape == (0, speech_encoder.spec.dim)


def test_the_cache_is_keyed_by_content_not_path(speech_encoder, counted, ravdess, tmp_path) -> None:
    original = ravdess["audio_path"].iloc[0]
    cache = tmp_path / "cache"
    (row,) = clip_embeddings([original], speech_encoder, cache, progress=False)
    moved = tmp_path / "elsewhere" / f"renamed{Path(original).suffix}"
    moved.parent.mkdir()
    shutil.copyfile(original, moved)
    counted.clear()
    table = ravdess.iloc[:1].assign(audio_path=str(moved))
    np.testing.assert_array_equal(table_embeddings(table, speech_encoder, cache)[0], row)
    assert counted == []  # the same bytes at another path reuse the row
    # The same path with other content (an edited clip) is embedded again.
    audio = load_clip(original)
    edited = tmp_path / "edited.wav"
    sf.write(edited, audio, SAMPLE_RATE)
    clip_embeddings([str(edited)], speech_encoder, cache, progress=False)
    sf.write(edited, audio[::-1].copy(), SAMPLE_RATE)
    (changed,) = clip_embeddings([str(edited)], speech_encoder, cache, progress=False)
    assert len(counted) == 2
    np.testing.assert_array_equal(changed, speech_encoder.embed_one(load_clip(str(edited))))
