"""Faces and their expressions over sampled frames, summarised per time span.

Per frame: the faces found and each face's distribution. Per span: the mean distribution of all
faces in the span's frames, or ``None`` when no face was found (never a made-up distribution),
with the evidence: frames looked at, frames with a face, faces, and their timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emotion_platform.lib.face.detect import FaceBox, FaceDetector
from emotion_platform.lib.face.expression import ExpressionModel
from emotion_platform.lib.face.frames import Frame, FrameIndex
from emotion_platform.lib.labels import EMOTIONS


@dataclass(frozen=True)
class FrameFaces:
    """The faces of one frame and each face's (7,) distribution in :data:`EMOTIONS` order."""

    t: float
    boxes: tuple[FaceBox, ...]
    probs: np.ndarray  # (faces, 7)


@dataclass(frozen=True)
class SpanFaces:
    """The face evidence of one time span."""

    start: float
    end: float
    frames: tuple[FrameFaces, ...]

    @property
    def faces(self) -> int:
        return sum(len(f.boxes) for f in self.frames)

    @property
    def mean(self) -> np.ndarray | None:
        """Mean distribution over every face in the span; None when there is none."""
        rows = [f.probs for f in self.frames if len(f.boxes)]
        return np.concatenate(rows).mean(axis=0) if rows else None

    def evidence(self) -> dict:
        with_faces = [f for f in self.frames if f.boxes]
        return {
            "frames": len(self.frames),
            "frames_with_faces": len(with_faces),
            "faces": self.faces,
            "timestamps": [f.t for f in self.frames],
            "per_frame": [
                {
                    "t": f.t,
                    "faces": [
                        b.to_dict() | {"top": EMOTIONS[int(p.argmax())]} for b, p in zip(f.boxes, f.probs, strict=True)
                    ],
                }
                for f in with_faces
            ],
        }


def read_gray(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"{path} is not a readable image")
    return image


class FaceAnalyzer:
    """Detector + expression model; each frame is read and classified once, faces in one batch."""

    def __init__(self, detector: FaceDetector, model: ExpressionModel) -> None:
        self.detector = detector
        self.model = model

    def analyze(self, frames: Sequence[Frame]) -> list[FrameFaces]:
        found = [self.detector.detect(read_gray(frame.path)) for frame in frames]
        crops = [crop for faces in found for _, crop in faces]
        probs = self.model.predict_proba(crops) if crops else np.zeros((0, len(EMOTIONS)))
        out, offset = [], 0
        for frame, faces in zip(frames, found, strict=True):
            out.append(FrameFaces(frame.t, tuple(box for box, _ in faces), probs[offset : offset + len(faces)]))
            offset += len(faces)
        return out

    def spans(self, index: FrameIndex, spans: Sequence[tuple[float, float]]) -> list[SpanFaces]:
        """The face evidence of each (start, end) span; frames shared by spans are analysed once."""
        chosen = [index.in_span(start, end) for start, end in spans]
        unique = sorted({f for frames in chosen for f in frames}, key=lambda f: f.t)
        by_frame = dict(zip(unique, self.analyze(unique), strict=True))
        return [
            SpanFaces(start, end, tuple(by_frame[f] for f in frames))
            for (start, end), frames in zip(spans, chosen, strict=True)
        ]
