"""Face detection and span summaries on the real talking-head video; no face means no distribution."""

import json

import numpy as np
import pytest

from emotion_platform.lib.face.analysis import FaceAnalyzer, read_gray
from emotion_platform.lib.face.detect import FaceDetector
from emotion_platform.lib.face.expression import ExpressionModel
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.labels import EMOTIONS


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(FaceDetector(), ExpressionModel.load())


def test_frame_index_of_the_media_stage(talking_head_index) -> None:
    assert talking_head_index.fps == 2.0 and len(talking_head_index.frames) == 8
    assert talking_head_index.duration_s == pytest.approx(4.0)
    assert [f.t for f in talking_head_index.in_span(1.0, 2.0)] == [1.0, 1.5]
    assert [f.t for f in talking_head_index.in_span(1.1, 1.3)] == [1.0]  # short span: the nearest frame
    assert talking_head_index.in_span(9.0, 9.2) == []


def test_bad_frame_folders_get_clear_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="index.json is missing"):
        FrameIndex.read(tmp_path)
    (tmp_path / "index.json").write_text(json.dumps({"frames": []}))
    with pytest.raises(ValueError, match="not a valid frame index"):
        FrameIndex.read(tmp_path)
    (tmp_path / "frame_000001.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="not a readable image"):
        read_gray(tmp_path / "frame_000001.jpg")


def test_faces_are_found_in_most_frames_of_the_real_video(talking_head_index) -> None:
    detector = FaceDetector()
    per_frame = [detector.detect(read_gray(f.path)) for f in talking_head_index.frames]
    assert sum(1 for faces in per_frame if faces) >= 0.75 * len(per_frame)
    for faces in per_frame:
        assert len(faces) <= 1  # one person in the car: no phantom second face
        for box, crop in faces:
            assert box.w >= detector.min_face_px and crop.shape == (box.h, box.w)
    assert any(box.angle != 0 for faces in per_frame for box, _ in faces)  # tilted heads need the second look


def test_no_face_gives_no_distribution(analyzer, talking_head_index) -> None:
    frame = read_gray(talking_head_index.frames[0].path)
    window = frame[:, 120:]  # real pixels of the same frame: the car window, no face
    assert analyzer.detector.detect(np.ascontiguousarray(window)) == []
    with pytest.raises(ValueError, match="grey"):
        analyzer.detector.detect(np.zeros((10, 10, 3), np.uint8))
    empty = analyzer.spans(talking_head_index, [(10.0, 11.0)])[0]
    assert empty.mean is None and empty.evidence()["frames"] == 0 and empty.faces == 0


def test_span_summaries_carry_their_evidence(analyzer, talking_head_index) -> None:
    whole, first, second = analyzer.spans(talking_head_index, [(0.0, 4.004), (0.0, 2.0), (2.0, 4.004)])
    evidence = whole.evidence()
    assert evidence["frames"] == 8 and evidence["frames_with_faces"] >= 6 and evidence["faces"] >= 6
    assert evidence["timestamps"] == [f.t for f in talking_head_index.frames]
    assert {face["top"] for frame in evidence["per_frame"] for face in frame["faces"]} <= set(EMOTIONS)
    assert np.isclose(whole.mean.sum(), 1.0)
    assert all(t < 2.0 for t in first.evidence()["timestamps"])
    assert all(t >= 2.0 for t in second.evidence()["timestamps"])
    # The whole-file mean is the mean over the faces of both halves.
    weights = np.array([first.faces, second.faces], dtype=float)
    assert np.allclose(whole.mean, (weights[0] * first.mean + weights[1] * second.mean) / weights.sum())
