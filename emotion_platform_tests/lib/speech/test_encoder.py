"""The speech encoder on real RAVDESS clips: shape, determinism, silence trimming, very short and long clips."""

import numpy as np
import pytest

from emotion_platform.lib.acoustic.dataset import load_clip
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.speech.encoder import (
    WHISPER_WINDOW_S,
    SpeechEncoderSpec,
    WhisperSpeechEncoder,
    trim_silence,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clips(ravdess) -> list[np.ndarray]:
    return [load_clip(p) for p in ravdess["audio_path"].iloc[:3]]


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


def test_embeddings_have_the_spec_width_are_finite_and_deterministic(speech_encoder, clips) -> None:
    spec = speech_encoder.spec
    assert spec.dim == 384 and spec.whisper_model == "tiny.en" and len(speech_encoder.model.blocks) == spec.layer
    first = speech_encoder.embed(clips)
    assert first.shape == (len(clips), spec.dim) and first.dtype == np.float32 and np.isfinite(first).all()
    np.testing.assert_array_equal(speech_encoder.embed(clips), first)
    np.testing.assert_array_equal(speech_encoder.embed_one(clips[1]), first[1])
    # Different recordings are different points (not a constant vector).
    assert min(_relative(first[0], first[i]) for i in (1, 2)) > 0.01
    assert speech_encoder.embed([]).shape == (0, spec.dim)


def test_the_spec_validates_its_block_and_keys_the_numbers_it_gives() -> None:
    with pytest.raises(ValueError, match="blocks 1..4"):
        SpeechEncoderSpec(layer=5)
    spec = SpeechEncoderSpec()
    assert SpeechEncoderSpec.from_dict(spec.to_dict()) == spec and SpeechEncoderSpec().key == spec.key
    assert len({spec.key, SpeechEncoderSpec(layer=2).key, SpeechEncoderSpec(trim_db=None).key}) == 3
    assert SpeechEncoderSpec(pooling="mean_std").dim == 2 * spec.dim
    assert SpeechEncoderSpec(whisper_model="base").dim == 512


def test_silence_around_a_clip_is_trimmed_away(speech_encoder, clips, model_cache) -> None:
    clip = clips[0]
    second = np.zeros(SAMPLE_RATE, dtype=np.float32)
    padded = np.concatenate([second, clip, second])
    trimmed = trim_silence(padded, speech_encoder.spec.trim_db)
    assert trimmed.size < clip.size and np.abs(trimmed).max() == np.abs(clip).max()
    assert np.abs(trimmed[:160]).max() > 0 and np.abs(trimmed[-160:]).max() > 0
    assert trim_silence(padded, None) is padded
    assert _relative(speech_encoder.embed_one(clip), speech_encoder.embed_one(padded)) < 1e-3
    # Without trimming the same second of silence moves the embedding far: trimming is what removes it.
    untrimmed = WhisperSpeechEncoder(SpeechEncoderSpec(trim_db=None), model_cache)
    assert _relative(untrimmed.embed_one(clip), untrimmed.embed_one(padded)) > 0.05


def test_a_50_ms_clip_and_a_clip_longer_than_whispers_window_both_embed(speech_encoder, ravdess, clips) -> None:
    loudest = int(np.abs(clips[0]).argmax())
    short = clips[0][max(0, loudest - 400) : loudest + 400]
    assert short.size == SAMPLE_RATE // 20
    for tiny in (short, short[:100], np.zeros(0, dtype=np.float32)):
        vector = speech_encoder.embed_one(tiny)
        assert vector.shape == (speech_encoder.spec.dim,) and np.isfinite(vector).all()
    long = np.concatenate([load_clip(p) for p in ravdess["audio_path"].iloc[:12]])[: 35 * SAMPLE_RATE]
    assert trim_silence(long, speech_encoder.spec.trim_db).size > WHISPER_WINDOW_S * SAMPLE_RATE
    whole = speech_encoder.embed_one(long)
    assert whole.shape == (speech_encoder.spec.dim,) and np.isfinite(whole).all()
    # The last 5 s are read too: the embedding is not the first window's alone.
    assert _relative(whole, speech_encoder.embed_one(long[: WHISPER_WINDOW_S * SAMPLE_RATE])) > 1e-3
