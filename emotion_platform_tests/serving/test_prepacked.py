"""Prepacked linear layers: same numbers as ``nn.Linear``, applied only where they fit and match."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.serving import model as serving_model
from emotion_platform.serving.model import load_from_registry
from emotion_platform.serving.prepacked import PrepackedLinear, prepack_linears, with_prepacked_linears

pytestmark = pytest.mark.slow

needs_bfloat16 = pytest.mark.skipif(
    not serving_model.cpu_has_native_bfloat16(), reason="this CPU has no native bfloat16 (AVX512-BF16/AMX)"
)
TEXTS = ["I am so happy for you!", "Get out of my room.", "Okay.", "What on earth were you thinking, Ross?"]


def bfloat16_text(champion):
    text = EmotionBundle.load(champion.bundle_dir).text
    text.model = text.model.to(torch.bfloat16)
    return text


@needs_bfloat16
@pytest.mark.parametrize("shape", [(5, 64), (3, 7, 64)])
def test_a_prepacked_linear_gives_the_plain_layers_numbers(shape) -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 96).to(torch.bfloat16).eval()
    x = torch.randn(*shape).to(torch.bfloat16)
    with torch.inference_mode():
        packed, plain = PrepackedLinear(linear)(x), linear(x)
    assert packed.shape == plain.shape == (*shape[:-1], 96)
    assert torch.allclose(packed.float(), plain.float(), atol=1e-2)


@needs_bfloat16
def test_the_text_model_keeps_its_probabilities_with_every_linear_prepacked(champion) -> None:
    text = bfloat16_text(champion)
    packed = with_prepacked_linears(text, TEXTS)
    linears = sum(isinstance(m, torch.nn.Linear) for m in text.model.modules())
    assert linears > 0 and sum(isinstance(m, PrepackedLinear) for m in packed.model.modules()) == linears
    assert not any(isinstance(m, PrepackedLinear) for m in text.model.modules())  # the original is untouched
    contexts = [""] * len(TEXTS)
    gap = np.abs(packed.predict_proba(TEXTS, contexts) - text.predict_proba(TEXTS, contexts)).max()
    assert gap <= 1e-3


@needs_bfloat16
def test_a_prepacked_copy_that_drifts_is_refused(champion, caplog) -> None:
    text = bfloat16_text(champion)
    assert with_prepacked_linears(text, TEXTS, tolerance=-1.0) is text
    assert "serving them unpacked" in caplog.text


def test_a_float32_model_is_left_as_it_is(champion) -> None:
    text = EmotionBundle.load(champion.bundle_dir).text
    assert with_prepacked_linears(text, TEXTS) is text


def test_prepack_linears_counts_what_it_replaced() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(8, 2)))
    if not serving_model.cpu_has_native_bfloat16():
        pytest.skip("this CPU has no native bfloat16 (AVX512-BF16/AMX)")
    assert prepack_linears(copy.deepcopy(model).to(torch.bfloat16)) == 2


@needs_bfloat16
def test_the_service_loader_prepacks_unless_told_not_to(champion) -> None:
    on = load_from_registry(champion.tracking_uri, champion.name, "champion", "cpu")
    off = load_from_registry(champion.tracking_uri, champion.name, "champion", "cpu", prepack=False)
    assert on.precision == off.precision == "bfloat16"
    assert on.prepacked_layers > 0 and off.prepacked_layers == 0
    assert on.describe()["prepacked_linear_layers"] == on.prepacked_layers
