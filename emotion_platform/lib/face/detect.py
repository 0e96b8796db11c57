"""Face detection with OpenCV's shipped Haar cascade.

Faces are returned largest first (the speakers nearest the camera), at most ``max_faces``, none
smaller than ``min_face_px`` and none the cascade is unsure of (``min_score``, the cascade's
final-stage weight: on the sample media real faces score 3-11, background texture under 1).
Each frame is also looked at rotated by ``tilt_angles`` degrees (talking heads tilt); the rotation
whose best face scores highest wins, and crops are taken from the rotated frame so the face is
upright for the expression classifier. Detection runs on a copy scaled so that its longer side is at
most ``detect_max_side`` (the cascade's cost grows with the pixel count); boxes and crops are in the
full-resolution frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

CASCADE_FILE = "haarcascade_frontalface_default.xml"


@dataclass(frozen=True)
class FaceBox:
    """A detected face: pixel box in the (possibly rotated) frame, detector confidence, rotation used."""

    x: int
    y: int
    w: int
    h: int
    score: float
    angle: float = 0.0

    def to_dict(self) -> dict:
        return {"box": [self.x, self.y, self.w, self.h], "score": round(self.score, 2), "angle": self.angle}


def cascade_path() -> Path:
    return Path(cv2.data.haarcascades) / CASCADE_FILE  # type: ignore[attr-defined]  # cv2's stubs omit cv2.data


def rotate(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` (grey or colour) turned by ``angle`` degrees about its centre, edges replicated."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


@dataclass
class FaceDetector:
    """Frontal faces in a grey frame; ``detect`` returns (box, grey crop) pairs, largest first."""

    min_face_px: int = 32
    min_score: float = 2.0
    max_faces: int = 4
    scale_factor: float = 1.1
    min_neighbors: int = 3
    tilt_angles: tuple[float, ...] = (-20.0, 20.0)
    detect_max_side: int = 320
    _cascade: cv2.CascadeClassifier = field(init=False, repr=False)

    def __post_init__(self) -> None:
        path = cascade_path()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"the Haar cascade {path} did not load (opencv-python-headless<5 ships it)")

    def _find(self, small: np.ndarray, scale: float, angle: float) -> list[FaceBox]:
        image = small if angle == 0 else rotate(small, angle)
        side = max(24, round(self.min_face_px * scale))  # 24 px is the cascade's own window
        boxes, _, weights = self._cascade.detectMultiScale3(
            image,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
            outputRejectLevels=True,
        )
        found = [
            FaceBox(round(x / scale), round(y / scale), round(w / scale), round(h / scale), float(s), angle)
            for (x, y, w, h), s in zip(boxes, np.ravel(weights), strict=True)
            if s >= self.min_score
        ]
        found.sort(key=lambda box: (box.w * box.h, box.score), reverse=True)
        return found[: self.max_faces]

    def detect(self, gray: np.ndarray) -> list[tuple[FaceBox, np.ndarray]]:
        if gray.ndim != 2:
            raise ValueError(f"expected a grey (2-D) frame, got shape {gray.shape}")
        scale = min(1.0, self.detect_max_side / max(gray.shape))
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        candidates = [found for angle in (0.0, *self.tilt_angles) if (found := self._find(small, scale, angle))]
        best = max(candidates, key=lambda found: max(box.score for box in found), default=[])
        image = gray if not best or best[0].angle == 0 else rotate(gray, best[0].angle)
        return [(box, image[box.y : box.y + box.h, box.x : box.x + box.w]) for box in best]
