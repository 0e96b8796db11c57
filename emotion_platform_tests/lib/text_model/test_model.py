"""The text model's decision offsets: applied to its probabilities and kept through save/load."""

import numpy as np

from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform_tests.small_bundle import small_text_model


def test_class_bias_shifts_probabilities_and_survives_save_and_load(tmp_path) -> None:
    model = small_text_model(tmp_path / "work")
    texts, contexts = ["I can't believe you did that!", "Okay."], ["", "What now?"]
    plain = model.predict_proba(texts, contexts)
    model.class_bias = (0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0)  # a strong push towards "neutral"
    shifted = model.predict_proba(texts, contexts)
    assert np.allclose(shifted.sum(axis=1), 1.0)
    assert (shifted[:, 4] > plain[:, 4]).all() and (shifted.argmax(axis=1) == 4).all()

    reloaded = TextEmotionModel.load(model.save(tmp_path / "model"))
    assert reloaded.class_bias == model.class_bias
    assert np.allclose(reloaded.predict_proba(texts, contexts), shifted, atol=1e-5)
