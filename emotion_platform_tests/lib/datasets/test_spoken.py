"""Dialogue lines spoken by espeak-ng: 16 kHz audio, cached recordings, flat-voice examples for the speech branch."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.datasets.spoken import (
    FLAT_VOICE_SOURCE,
    VOICES,
    flat_voice_examples,
    spoken_examples,
    spoken_path,
    synthesize,
)

LINE = "I can't believe we actually won the whole thing!"


def test_synthesize_gives_16_khz_float_speech_of_plausible_length() -> None:
    audio = synthesize(LINE)
    assert audio.dtype == np.float32 and audio.ndim == 1
    seconds = audio.size / SAMPLE_RATE
    # The recording's length in samples (espeak-ng output is deterministic), not a wall-clock time:
    # ten words at 165 words per minute is about 3.6 s of audio.
    assert 1.5 < seconds < 6.0
    assert np.sqrt(np.mean(audio**2)) > 0.01 and np.abs(audio).max() <= 1.0
    assert synthesize(LINE, rate=220).size < 0.85 * synthesize(LINE, rate=145).size
    with pytest.raises(ValueError, match="empty"):
        synthesize("   ")


def test_spoken_path_synthesises_once_then_reuses_the_file(tmp_path) -> None:
    first = spoken_path(LINE, "en-us", 165, 50, tmp_path)
    assert first.is_relative_to(tmp_path) and first.suffix == ".wav"
    audio, rate = sf.read(first, dtype="float32")
    assert rate == SAMPLE_RATE and audio.ndim == 1 and audio.size > SAMPLE_RATE
    written = first.stat().st_mtime_ns
    assert spoken_path(LINE, "en-us", 165, 50, tmp_path) == first and first.stat().st_mtime_ns == written
    others = {
        spoken_path(LINE, "en-us", 185, 50, tmp_path),
        spoken_path(LINE, "en-gb+m3", 165, 50, tmp_path),
        spoken_path(LINE + " Again.", "en-us", 165, 50, tmp_path),
    }
    assert first not in others and len(others) == 3
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in others | {first})


@pytest.fixture()
def lines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "example_id": ["a", "b", "c"],
            "text": [LINE, "Get out of my house.", "Oh no, not again."],
            "label": ["joy", "anger", "sadness"],
            "source": "meld",
            "modality": "text",
        }
    )


def test_flat_voice_examples_are_neutral_espeak_ng_speech(lines, tmp_path) -> None:
    spoken = spoken_examples(lines, tmp_path, seed=0)
    assert list(spoken["label"]) == ["joy", "anger", "sadness"]  # the words keep their labels
    assert all(v.split()[0] in VOICES for v in spoken["voice"])
    pd.testing.assert_frame_equal(spoken_examples(lines, tmp_path, seed=0), spoken)  # seeded
    flat = flat_voice_examples(lines, tmp_path, seed=0)
    assert FLAT_VOICE_SOURCE == "espeak_ng"
    assert (flat["label"] == "neutral").all() and (flat["source"] == FLAT_VOICE_SOURCE).all()
    assert (flat["modality"] == "speech").all() and list(flat["text"]) == list(lines["text"])
    assert list(flat["audio_path"]) == list(spoken["audio_path"])  # the same cached recordings
    for path in flat["audio_path"]:
        info = sf.info(path)
        assert info.samplerate == SAMPLE_RATE and info.channels == 1 and info.duration > 0.5
