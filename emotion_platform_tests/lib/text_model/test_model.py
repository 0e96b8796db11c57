"""The text model's untrained stand-in: an encoder with a new seven-way head."""

from __future__ import annotations

import numpy as np

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import LENGTH_STEP, TextEmotionModel, bucketed_rows


def test_an_untrained_head_gives_a_distribution_over_the_seven_emotions(tmp_path) -> None:
    text = TextEmotionModel.untrained(tiny_encoder_dir(tmp_path / "encoder"), max_length=32)
    probs = text.predict_proba(["Oh my god!", "Fine."], ["", "Oh my god!"])
    assert probs.shape == (2, len(EMOTIONS)) and text.max_length == 32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not text.model.training
    assert text.probability_gap(text, ["Oh my god!"]) == 0.0


def test_bucketed_rows_round_a_batch_up_to_the_next_bucket() -> None:
    assert [bucketed_rows(n) for n in (1, 3, 5, 9, 13, 17, 33, 49, 64)] == [1, 4, 8, 12, 16, 24, 48, 64, 64]
    assert bucketed_rows(65) == 65  # beyond the largest bucket a batch runs at its own size


def test_shape_buckets_keep_the_answers_and_bound_the_shapes(tmp_path) -> None:
    text = TextEmotionModel.untrained(tiny_encoder_dir(tmp_path / "encoder"), max_length=96)
    utterances = ["Oh my god!", "Fine.", "I can't believe you did that to me, after all these years together.",
                  "What?", "No way."]
    exact = text.predict_proba(utterances)
    text.bucket_shapes = True
    batch = text.encode(utterances)
    rows, length = batch["input_ids"].shape
    assert rows == 8 and length % LENGTH_STEP == 0
    bucketed = text.predict_proba(utterances)
    assert bucketed.shape == (len(utterances), len(EMOTIONS))
    assert np.allclose(bucketed, exact, atol=1e-5)
