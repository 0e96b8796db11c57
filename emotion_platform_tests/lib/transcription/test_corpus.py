"""Transcripts of dataset clips: transcribed once per clip content and transcriber, then read from the cache."""

import json
import shutil

import pytest

from emotion_platform.lib.transcription.corpus import cache_path, clip_transcripts

pytestmark = pytest.mark.slow


def test_clips_are_transcribed_once_and_keyed_by_content(fast_transcriber, librivox, tmp_path, monkeypatch) -> None:
    transcriber = fast_transcriber.get()
    calls: list[int] = []
    transcribe_many = transcriber.transcribe_many
    monkeypatch.setattr(
        transcriber, "transcribe_many", lambda audios: calls.append(len(audios)) or transcribe_many(audios)
    )
    paths = [str(clip.path) for clip in librivox[:3]]
    texts = clip_transcripts(paths, transcriber, tmp_path, "faster-whisper-tiny.en", batch_size=2, progress=False)
    assert calls == [2, 1]  # in batches
    for text, clip in zip(texts, librivox[:3], strict=True):
        words = set(clip.reference.lower().split())
        heard = {w.strip(".,!?;").lower() for w in text.split()}
        assert len(words & heard) >= 0.6 * len(words), (text, clip.reference)
    store = cache_path(tmp_path, "faster-whisper-tiny.en")
    assert len(json.loads(store.read_text())) == 3
    # The same bytes at another path, in another order: nothing is transcribed again.
    moved = tmp_path / "elsewhere.wav"
    shutil.copyfile(paths[0], moved)
    again = clip_transcripts([paths[2], str(moved)], transcriber, tmp_path, "faster-whisper-tiny.en", progress=False)
    assert again == [texts[2], texts[0]] and calls == [2, 1]
    # Another transcriber is another cache.
    clip_transcripts(paths[:1], transcriber, tmp_path, "openai-whisper-tiny.en", progress=False)
    assert calls == [2, 1, 1]
