"""The face crops behind a video's face evidence, for the page to show.

The analysis reports, per segment, the frames (by time) where faces were found, each face's box in the
sampled frame (after rotation by ``angle`` when the head was tilted) and the emotion read from it. The
frames are sampled again from the stored video exactly as the analysis sampled them
(:func:`~emotion_platform.lib.media.decode.extract_frames`, same rate and size), and each box is cut
out the same way the detector cut it (rotated frame, then the box): what the page shows is what the
face branch looked at.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import cv2

from emotion_platform.lib.face.detect import rotate
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.media import decode
from emotion_platform.lib.media.limits import MediaLimits

CROP_NAME = re.compile(r"^face-\d{1,5}-\d{1,3}\.jpg$")
MAX_CROPS = 24


def face_boxes(result: dict, limit: int = MAX_CROPS) -> list[dict]:
    """(segment, time, box, angle, top) of the faces the analysis used, at most ``limit``, in time order."""
    found = []
    for index, segment in enumerate(result.get("segments", [])):
        evidence = segment.get("face_evidence") or {}
        for frame in evidence.get("per_frame", []):
            for face in frame.get("faces", []):
                found.append(
                    {
                        "segment": index,
                        "t": frame["t"],
                        "box": face["box"],
                        "angle": face.get("angle", 0.0),
                        "top": face.get("top"),
                    }
                )
    if len(found) > limit:  # spread over the whole video rather than its first seconds
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return found


def save_face_crops(video: Path, result: dict, dest: Path, limits: MediaLimits) -> list[dict]:
    """Write the crops into ``dest`` as ``face-<segment>-<n>.jpg`` (frames sampled as ``limits`` say, as
    the analysis sampled them); returns their descriptions."""
    boxes = face_boxes(result)
    if not boxes:
        return []
    dest.mkdir(parents=True, exist_ok=True)
    crops = []
    with tempfile.TemporaryDirectory(prefix="emotion-faces-") as work:
        frames_dir = Path(work) / "frames"
        decode.sample_frames(video, frames_dir, result["media"]["duration_s"], limits, capped=False)
        by_time = {round(f.t, 3): f.path for f in FrameIndex.read(frames_dir).frames}
        counts: dict[int, int] = {}
        for face in boxes:
            frame_path = by_time.get(round(face["t"], 3))
            image = cv2.imread(str(frame_path)) if frame_path else None
            if image is None:
                continue
            if face["angle"]:
                image = rotate(image, face["angle"])  # as the detector turned the frame before cutting
            x, y, bw, bh = face["box"]
            crop = image[max(0, y) : y + bh, max(0, x) : x + bw]
            if crop.size == 0:
                continue
            n = counts[face["segment"]] = counts.get(face["segment"], 0) + 1
            name = f"face-{face['segment']}-{n}.jpg"
            cv2.imwrite(str(dest / name), crop)
            crops.append({"file": name, "segment": face["segment"], "t": face["t"], "top": face["top"]})
    return crops
