"""The face branch of an emotion bundle: which shipped model, its hash, and how it is fused.

The expression network is not trained by the platform, so the bundle stores no weights for it,
only what identifies them (``face.json``): the package, the member file and its SHA-256, checked
when the branch is first used. Two fusion settings are priors, not fitted, because no labelled
video is available to fit them on:

* ``weight`` (0.5): the face's weight in the log-linear pool beside the speech branches, whose
  fitted weights sum to 1; with words or voice present the face thus has a third of the say. It
  matters only when faces are found: a span without faces has no face distribution and the
  speech branches fuse exactly as before.
* ``uniform_mix`` (0.25): the span's mean face distribution is mixed with the uniform distribution
  before fusion. The shipped network is extremely confident (logits of +-20), and one frame's
  near one-hot output would otherwise veto every other branch in a geometric mean. Mixing keeps
  the face branch's arg-max.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from emotion_platform.lib.face.analysis import FaceAnalyzer
from emotion_platform.lib.face.detect import FaceDetector
from emotion_platform.lib.face.expression import (
    PYEMOTION_MODEL_MEMBER,
    PYEMOTION_SHA256,
    PYEMOTION_VERSION,
    ExpressionModel,
)

FACE_FILE = "face.json"
WEIGHT_SOURCE = "prior (no labelled video to fit it on)"


@dataclass
class FaceBranch:
    """A face branch as a bundle records it; :meth:`analyzer` loads the model once, on ``device``."""

    package: str = f"PyEmotion=={PYEMOTION_VERSION}"
    model_file: str = PYEMOTION_MODEL_MEMBER
    sha256: str = PYEMOTION_SHA256
    weight: float = 0.5
    uniform_mix: float = 0.25
    weight_source: str = WEIGHT_SOURCE
    device: str = field(default="cpu", compare=False)
    _analyzer: FaceAnalyzer | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.weight < 0 or not 0 <= self.uniform_mix < 1:
            raise ValueError(
                f"face branch: weight must be >= 0 and uniform_mix in [0, 1), got {self.weight}, {self.uniform_mix}"
            )

    @property
    def model_name(self) -> str:
        return f"{self.package}:{self.model_file}"

    def analyzer(self) -> FaceAnalyzer:
        if self._analyzer is None:
            model = ExpressionModel.load(device=self.device, expected_sha256=self.sha256)
            self._analyzer = FaceAnalyzer(FaceDetector(), model)
        return self._analyzer

    def distribution(self, mean: np.ndarray | None) -> np.ndarray | None:
        """What the fusion uses for a span: the mean face distribution mixed with uniform."""
        if mean is None:
            return None
        return (1 - self.uniform_mix) * np.asarray(mean) + self.uniform_mix / len(mean)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name != "device"}

    @classmethod
    def from_dict(cls, data: dict, device: str = "cpu") -> FaceBranch:
        return cls(**data, device=device)

    @classmethod
    def read(cls, path: Path, device: str = "cpu") -> FaceBranch:
        return cls.from_dict(json.loads(Path(path).read_text()), device)
