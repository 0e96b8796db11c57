"""The text model's untrained stand-in: an encoder with a new seven-way head."""

from __future__ import annotations

import numpy as np

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.text_model.encoder import tiny_encoder_dir
from emotion_platform.lib.text_model.model import TextEmotionModel


def test_an_untrained_head_gives_a_distribution_over_the_seven_emotions(tmp_path) -> None:
    text = TextEmotionModel.untrained(tiny_encoder_dir(tmp_path / "encoder"), max_length=32)
    probs = text.predict_proba(["Oh my god!", "Fine."], ["", "Oh my god!"])
    assert probs.shape == (2, len(EMOTIONS)) and text.max_length == 32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not text.model.training
    assert text.probability_gap(text, ["Oh my god!"]) == 0.0
