"""The video frames the media stage sampled: ``<frames dir>/index.json`` + ``frame_NNNNNN.jpg``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

INDEX_FILE = "index.json"


@dataclass(frozen=True)
class Frame:
    t: float
    path: Path


@dataclass(frozen=True)
class FrameIndex:
    """Sampled frames of one video, in time order, at ``fps`` frames per second."""

    fps: float
    frames: tuple[Frame, ...]

    @classmethod
    def read(cls, directory: Path | str) -> FrameIndex:
        """The index written by :func:`emotion_platform.lib.media.decode.extract_frames`."""
        directory = Path(directory)
        index_path = directory / INDEX_FILE
        if not index_path.is_file():
            raise FileNotFoundError(f"{directory} is not a frames folder: {INDEX_FILE} is missing")
        try:
            index = json.loads(index_path.read_text())
            fps = float(index["fps"])
            frames = tuple(Frame(float(f["t"]), directory / f["file"]) for f in index["frames"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{index_path} is not a valid frame index: {error!r}") from error
        if fps <= 0:
            raise ValueError(f"{index_path}: fps must be positive, got {fps}")
        return cls(fps, tuple(sorted(frames, key=lambda f: f.t)))

    @property
    def duration_s(self) -> float:
        """The time the frames cover (last timestamp plus one frame interval)."""
        return round(self.frames[-1].t + 1.0 / self.fps, 3) if self.frames else 0.0

    def in_span(self, start: float, end: float) -> list[Frame]:
        """Frames with ``start <= t < end``; for a span shorter than the frame interval that holds
        none, the frame nearest its middle when it lies within one interval of it."""
        inside = [f for f in self.frames if start <= f.t < end]
        if inside or not self.frames:
            return inside
        middle = (start + end) / 2
        nearest = min(self.frames, key=lambda f: abs(f.t - middle))
        return [nearest] if abs(nearest.t - middle) <= 1.0 / self.fps else []
