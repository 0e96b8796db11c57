"""The text model's untrained stand-in: an encoder with a new seven-way head."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import LENGTH_STEP, TextEmotionModel, row_chunks


@pytest.mark.slow
def test_an_untrained_head_gives_a_distribution_over_the_seven_emotions(tmp_path) -> None:
    text = TextEmotionModel.untrained(tiny_encoder_dir(tmp_path / "encoder"), max_length=32)
    probs = text.predict_proba(["Oh my god!", "Fine."], ["", "Oh my god!"])
    assert probs.shape == (2, len(EMOTIONS)) and text.max_length == 32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not text.model.training
    assert text.probability_gap(text, ["Oh my god!"]) == 0.0


def test_row_chunks_split_a_batch_into_powers_of_two() -> None:
    assert row_chunks(23) == [16, 4, 2, 1]
    assert row_chunks(64) == [64] and row_chunks(1) == [1] and row_chunks(0) == []
    assert all(sum(row_chunks(n)) == n for n in range(1, 200))
    assert {size for n in range(1, 65) for size in row_chunks(n)} == {1, 2, 4, 8, 16, 32, 64}


@pytest.mark.slow
def test_shape_buckets_keep_the_answers_and_bound_the_shapes(tmp_path) -> None:
    text = TextEmotionModel.untrained(tiny_encoder_dir(tmp_path / "encoder"), max_length=96)
    utterances = [
        "Oh my god!",
        "Fine.",
        "I can't believe you did that to me, after all these years together.",
        "What?",
        "No way.",
        "You never listen to a single word I say, do you?",
        "Okay.",
    ]
    contexts = ["", "Oh my god!", "Fine.", "", "What?", "", "Whatever you want."]
    exact = text.predict_proba(utterances, contexts)
    shapes: list[tuple[int, int]] = []
    text.model.register_forward_pre_hook(
        lambda _module, _args, kwargs: shapes.append(tuple(kwargs["input_ids"].shape)), with_kwargs=True
    )
    text.bucket_shapes = True
    bucketed = text.predict_proba(utterances, contexts)
    assert sorted(rows for rows, _ in shapes) == [1, 2, 4]  # 7 rows = 4 + 2 + 1, no padding rows
    assert all(length % LENGTH_STEP == 0 for _, length in shapes)
    assert np.allclose(bucketed, exact, atol=1e-5)  # same answers, in the callers' order
