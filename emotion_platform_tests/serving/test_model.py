"""Loading the model to serve: the MLflow alias, a clear error without one, the half-precision check."""

from __future__ import annotations

import copy

import pytest
import torch

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.serving.model import NoModelToServe, keep_half_if_accurate, load_from_registry


def test_loads_the_version_behind_the_alias(champion) -> None:
    loaded = load_from_registry(champion.tracking_uri, champion.name, "champion", "cpu")
    assert (loaded.version, loaded.device, loaded.precision) == (champion.version, "cpu", "float32")


def test_no_model_under_the_alias_is_a_clear_error(champion) -> None:
    with pytest.raises(NoModelToServe, match="'previous-champion'"):
        load_from_registry(champion.tracking_uri, champion.name, "previous-champion", "cpu")


def test_reduced_precision_is_kept_only_when_it_keeps_the_probabilities(champion) -> None:
    reference = EmotionBundle.load(champion.bundle_dir).text
    reduced = copy.deepcopy(reference)
    reduced.model = reduced.model.to(torch.bfloat16)  # the CPU stand-in for float16 on a GPU
    assert next(keep_half_if_accurate(reference, reduced, tolerance=0.05).model.parameters()).dtype == torch.bfloat16
    reverted = keep_half_if_accurate(reference, reduced, tolerance=0.0)
    assert next(reverted.model.parameters()).dtype == torch.float32
