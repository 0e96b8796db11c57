"""Training helpers of the text branch: batches of similar length, the class weights, the config."""

import numpy as np
import pytest

from emotion_platform.lib.text_model.train import TextTrainConfig, class_weights, epoch_batches


def test_bucketed_batches_cover_every_example_once_with_less_padding() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 200, size=1000)
    bucketed = epoch_batches(lengths, 32, np.random.default_rng(1), bucketing=True, bucket_batches=10)
    plain = epoch_batches(lengths, 32, np.random.default_rng(1), bucketing=False)
    for batches in (bucketed, plain):
        assert len(batches) == int(np.ceil(1000 / 32))
        assert sorted(np.concatenate(batches).tolist()) == list(range(1000))

    def padding(batches):  # padded positions, as a tokenizer pads each batch to its longest member
        return sum(int(lengths[b].max() * len(b) - lengths[b].sum()) for b in batches)

    assert padding(bucketed) < 0.3 * padding(plain)
    # the batch order stays random: not sorted by length across the epoch
    means = [lengths[b].mean() for b in bucketed]
    assert means != sorted(means)
    again = epoch_batches(lengths, 32, np.random.default_rng(1), bucketing=True, bucket_batches=10)
    assert all((a == b).all() for a, b in zip(bucketed, again, strict=True))


def test_class_weights_favour_rare_classes_with_mean_one() -> None:
    labels = np.array([0] * 80 + [1] * 15 + [2] * 5)
    weights = class_weights(labels, "inverse_sqrt").numpy()
    assert weights[2] > weights[1] > weights[0]
    assert weights[labels].mean() == pytest.approx(1.0)
    assert (class_weights(labels, "none").numpy()[:3] == 1.0).all()


def test_config_refuses_unknown_choices() -> None:
    with pytest.raises(ValueError, match="selection_metric"):
        TextTrainConfig(selection_metric="accuracy")
    with pytest.raises(ValueError, match="class_weighting"):
        TextTrainConfig(class_weighting="balanced")
