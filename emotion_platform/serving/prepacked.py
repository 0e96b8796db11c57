"""Linear layers with their weights reordered once for oneDNN, for bfloat16 inference on a CPU.

A plain ``nn.Linear`` in bfloat16 on a CPU hands oneDNN a weight in PyTorch's layout, and oneDNN
reorders it into its blocked (AMX/VNNI) layout on every call: for the short utterances the service
sees, that reordering costs about as much as the matrix product. :class:`PrepackedLinear` reorders
the weight once, when the model is loaded, with the same oneDNN operators ``torch.compile`` uses for
frozen CPU graphs (``mkldnn._reorder_linear_weight`` / ``mkldnn._linear_pointwise``); the results
are the same numbers. ``bench/prepacked_linear.py`` measures the gain.
"""

from __future__ import annotations

import copy
import logging

import torch

from emotion_platform.lib.text_model.model import TextEmotionModel

logger = logging.getLogger(__name__)

# Prepacked and plain layers run the same oneDNN kernel; anything beyond rounding means a broken build.
PREPACKED_TOLERANCE = 1e-3


class PrepackedLinear(torch.nn.Module):
    """``nn.Linear`` for inference, its weight held in oneDNN's layout (not a trainable parameter)."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        with torch.no_grad():
            self.packed_weight = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), None)
            self.bias = None if linear.bias is None else linear.bias.detach().clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(x, self.packed_weight, self.bias, "none", [], "")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def prepack_linears(module: torch.nn.Module) -> int:
    """Replace every ``nn.Linear`` under ``module`` with a :class:`PrepackedLinear`, in place; how many."""
    replaced = 0
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Linear):
            setattr(module, name, PrepackedLinear(child))
            replaced += 1
        else:
            replaced += prepack_linears(child)
    return replaced


def can_prepack(text: TextEmotionModel) -> bool:
    """Whether prepacking applies: a bfloat16 model on a CPU, with oneDNN in this torch build."""
    dtype = next(text.model.parameters()).dtype
    return (
        text.device == "cpu"
        and dtype == torch.bfloat16
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
    )


def with_prepacked_linears(
    text: TextEmotionModel, probes: list[str], contexts: list[str] | None = None, tolerance: float = PREPACKED_TOLERANCE
) -> TextEmotionModel:
    """A copy of ``text`` with prepacked linear layers when that applies here and its probabilities
    on ``probes`` (with their previous-utterance ``contexts``) match ``text``'s own within ``tolerance``;
    else ``text`` itself."""
    if not can_prepack(text):
        return text
    packed = copy.copy(text)
    packed.model = copy.deepcopy(text.model)
    try:
        count = prepack_linears(packed.model)
        drift = text.probability_gap(packed, probes, contexts)
    except RuntimeError as error:  # the oneDNN operators refuse this build or these shapes
        logger.warning("prepacking the linear layers failed (%s): serving them unpacked", error)
        return text
    if drift > tolerance:
        logger.warning(
            "prepacked linear layers change probabilities by %.5f (> %.5f): serving them unpacked", drift, tolerance
        )
        return text
    logger.info("%d linear layers prepacked for oneDNN (probabilities within %.5f)", count, drift)
    return packed
