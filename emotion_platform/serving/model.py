"""Loading the model to serve: the Bento's own copy when there is one, else the MLflow alias.

A Bento built by the ``emotion_bento`` asset carries the champion bundle as a BentoML model
(tag ``emotion-model:v<mlflow version>``); ``bentoml serve`` from a checkout loads the model behind
``models:/<registered model>@champion`` from the MLflow registry instead.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.text_model.model import TextEmotionModel
from emotion_platform.lib.tracking import ModelRegistry, load_registered_bundle
from emotion_platform.lib.transcription.devices import torch_device

logger = logging.getLogger(__name__)

BUNDLE_SUBDIR = "bundle"
SOURCE_FILE = "source.json"


class NoModelToServe(RuntimeError):
    """The registry has no model under the alias the service is configured to serve."""


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

    def describe(self) -> dict:
        return {"name": self.name, "version": self.version, "source": self.source, "device": self.device,
                "precision": self.precision}


# Probe utterances for the half-precision check: short, long, and with a previous-utterance context.
PROBES = ["I can't believe you did that!", "Thanks, that's lovely.", "Oh no.", "What?",
          "We waited for hours and nobody told us anything about the delay, and now they say it is cancelled."]
HALF_PRECISION_TOLERANCE = 0.01


def keep_half_if_accurate(reference: TextEmotionModel, reduced: TextEmotionModel,
                          tolerance: float = HALF_PRECISION_TOLERANCE) -> TextEmotionModel:
    """``reduced`` (a half-precision copy) when its probabilities stay within ``tolerance`` of the
    full-precision ``reference`` on the probe utterances; else ``reduced`` back in float32."""
    contexts = [""] + PROBES[:-1]
    drift = float(np.abs(reference.predict_proba(PROBES, contexts) - reduced.predict_proba(PROBES, contexts)).max())
    if drift <= tolerance:
        logger.info("half precision kept: probabilities within %.4f of float32", drift)
        return reduced
    logger.warning("half precision changes probabilities by %.4f (> %.4f): serving in float32", drift, tolerance)
    reduced.model = reduced.model.float()
    return reduced


def load_from_registry(tracking_uri: str, name: str, alias: str, device: str) -> LoadedModel:
    """The bundle behind ``models:/<name>@<alias>``, on ``device`` (half precision on CUDA)."""
    resolved = torch_device(device)
    version = ModelRegistry(tracking_uri, name).version_by_alias(alias)
    if version is None:
        raise NoModelToServe(f"no version of {name!r} has the alias {alias!r} at {tracking_uri}: train and promote "
                             "a model first (emotion-platform train)")
    bundle, bundle_dir = load_registered_bundle(tracking_uri, f"models:/{name}/{version.version}")
    if resolved != "cpu":
        on_device = EmotionBundle.load(Path(bundle_dir), device=resolved)
        on_device.text = keep_half_if_accurate(bundle.text, on_device.text)
        bundle = on_device
    return LoadedModel(bundle, name, str(version.version), f"models:/{name}@{alias}", resolved)


def load_from_folder(folder: Path, device: str) -> LoadedModel:
    """A bundle imported into the BentoML store (see :func:`emotion_platform.serving.bento.import_champion`)."""
    resolved = torch_device(device)
    source = json.loads((folder / SOURCE_FILE).read_text())
    bundle = EmotionBundle.load(folder / BUNDLE_SUBDIR, device=resolved)
    if resolved != "cpu":
        bundle.text = keep_half_if_accurate(EmotionBundle.load(folder / BUNDLE_SUBDIR).text, bundle.text)
    return LoadedModel(bundle, source["name"], str(source["version"]), source["uri"], resolved)
