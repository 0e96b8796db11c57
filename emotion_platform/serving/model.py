"""Loading the model to serve: the Bento's own copy when there is one, else the MLflow alias.

A Bento built by the ``emotion_bento`` asset carries the champion bundle as a BentoML model
(tag ``emotion-model:v<mlflow version>``); ``bentoml serve`` from a checkout loads the model behind
``models:/<registered model>@champion`` from the MLflow registry instead.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.lib.tracking import ModelRegistry, load_registered_bundle
from emotion_platform.lib.transcription.devices import torch_device
from emotion_platform.serving.prepacked import PrepackedLinear, with_prepacked_linears

logger = logging.getLogger(__name__)

BUNDLE_SUBDIR = "bundle"
SOURCE_FILE = "source.json"


@dataclass(frozen=True)
class LoadedModel:
    bundle: EmotionBundle
    name: str
    version: str
    source: str
    device: str

    @property
    def precision(self) -> str:
        return str(next(self.bundle.text.model.parameters()).dtype).removeprefix("torch.")

    @property
    def prepacked_layers(self) -> int:
        return sum(isinstance(m, PrepackedLinear) for m in self.bundle.text.model.modules())

    def describe(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "device": self.device,
            "precision": self.precision,
            "prepacked_linear_layers": self.prepacked_layers,
        }


# Probe utterances for the reduced-precision and prepacking checks: short, long, each after the previous one.
PROBES = [
    "I can't believe you did that!",
    "Thanks, that's lovely.",
    "Oh no.",
    "What?",
    "We waited for hours and nobody told us anything about the delay, and now they say it is cancelled.",
]
PROBE_CONTEXTS = ["", *PROBES[:-1]]  # each probe after the previous one, as in a dialogue
REDUCED_PRECISION_TOLERANCE = 0.01


def cpu_has_native_bfloat16() -> bool:
    """Whether oneDNN runs bfloat16 natively here (AVX512-BF16 or AMX): then it is faster than float32."""
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def reduced_dtype(device: str, precision: str):
    """The reduced precision to try for the text model: float16 on CUDA, bfloat16 on a CPU that runs it
    natively; None for ``precision="float32"`` or a CPU without native bfloat16."""
    import torch

    if precision == "float32":
        return None
    if device.startswith("cuda"):
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bfloat16() else None


def with_reduced_precision(
    text: TextEmotionModel, dtype, tolerance: float = REDUCED_PRECISION_TOLERANCE
) -> TextEmotionModel:
    """A copy of ``text`` in ``dtype`` when its probabilities on the probe utterances stay within
    ``tolerance`` of ``text``'s own (float32); else ``text`` itself."""
    reduced = copy.copy(text)
    reduced.model = copy.deepcopy(text.model).to(dtype)
    drift = text.probability_gap(reduced, PROBES, PROBE_CONTEXTS)
    name = str(dtype).removeprefix("torch.")
    if drift <= tolerance:
        logger.info("%s kept: probabilities within %.4f of float32", name, drift)
        return reduced
    logger.warning("%s changes probabilities by %.4f (> %.4f): serving in float32", name, drift, tolerance)
    return text


def _on_device(bundle: EmotionBundle, device: str, precision: str, prepack: bool) -> EmotionBundle:
    dtype = reduced_dtype(device, precision)
    if dtype is not None:
        bundle.text = with_reduced_precision(bundle.text, dtype)
    if prepack:
        bundle.text = with_prepacked_linears(bundle.text, PROBES, PROBE_CONTEXTS)
    # Adaptive batching makes a new (rows x length) shape with nearly every batch; unbucketed, a worker's
    # memory climbs with the shapes it has seen (docs/benchmarks.md, "Soak").
    bundle.text.bucket_shapes = True
    return bundle


def load_from_registry(
    tracking_uri: str, name: str, alias: str, device: str, precision: str = "auto", prepack: bool = True
) -> LoadedModel:
    """The bundle behind ``models:/<name>@<alias>`` on ``device``, its text model in reduced precision
    where that keeps the probabilities (see :func:`reduced_dtype`) and, for bfloat16 on a CPU, with its
    linear layers prepacked (``prepack``, see :mod:`emotion_platform.serving.prepacked`)."""
    resolved = torch_device(device)
    version = ModelRegistry(tracking_uri, name).require(alias, "nothing to serve")
    bundle, _ = load_registered_bundle(tracking_uri, f"models:/{name}/{version.version}", device=resolved)
    return LoadedModel(
        _on_device(bundle, resolved, precision, prepack),
        name,
        str(version.version),
        f"models:/{name}@{alias}",
        resolved,
    )


def load_from_folder(folder: Path, device: str, precision: str = "auto", prepack: bool = True) -> LoadedModel:
    """A bundle imported into the BentoML store (see :func:`emotion_platform.serving.bento.import_champion`)."""
    resolved = torch_device(device)
    source = json.loads((folder / SOURCE_FILE).read_text())
    bundle = _on_device(EmotionBundle.load(folder / BUNDLE_SUBDIR, device=resolved), resolved, precision, prepack)
    return LoadedModel(bundle, source["name"], str(source["version"]), source["uri"], resolved)
