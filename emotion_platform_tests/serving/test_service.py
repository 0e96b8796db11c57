"""The service through its ASGI app (in process): real champion from MLflow, real Whisper, real media."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.serving.model import cpu_has_native_bfloat16
from emotion_platform_tests.serving.conftest import API_KEY
from emotion_platform_tests.serving.expectations import ACCEPTED_EMPTY, ACCEPTED_SPEECH, REJECTED

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def client(mlflow_service):
    return mlflow_service


def assert_distribution(emotions: dict) -> None:
    assert list(emotions) == list(EMOTIONS)
    assert abs(sum(emotions.values()) - 1) < 1e-3


def test_health_answers_without_a_key(client) -> None:
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": ""}, {"Authorization": "Basic x"}]
)
def test_every_other_endpoint_needs_a_key(client, headers) -> None:
    for method, path in [
        ("post", "/classify_text"),
        ("post", "/classify_media"),
        ("post", "/model_info"),
        ("get", "/metrics"),
        ("get", "/"),
    ]:
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"
        assert "API key" in response.json()["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_classify_text_returns_one_distribution_per_utterance(client, champion) -> None:
    utterances = ["I can't believe you did that!", "Thanks, that's lovely.", "Oh no."]
    response = client.post("/classify_text", json={"utterances": utterances}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    results = response.json()
    assert [r["text"] for r in results] == utterances
    for result in results:
        assert_distribution(result["emotions"])
        assert result["top"] == max(result["emotions"], key=result["emotions"].get)
    # The served model is the champion: same numbers as the bundle loaded directly.
    from emotion_platform.lib.bundle import EmotionBundle

    direct = EmotionBundle.load(champion.bundle_dir).text.predict_proba(utterances, [""] * 3)
    served = [[r["emotions"][e] for e in EMOTIONS] for r in results]
    assert np.allclose(served, direct, atol=1e-3)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"utterances": []}, "utterances"),
        ({"utterances": ["fine", "   "]}, "utterances"),
        ({"text": ["wrong field"]}, "utterances"),
        ({"utterances": ["x" * 5000]}, "utterances"),
    ],
)
def test_bad_text_requests_name_the_problem(client, body, problem) -> None:
    response = client.post("/classify_text", json=body, headers=AUTH)
    assert response.status_code == 400
    assert problem in response.text


def test_model_info_names_the_champion_version(client, champion) -> None:
    info = client.post("/model_info", headers=AUTH).json()
    assert info["version"] == champion.version and info["name"] == champion.name
    # the small test model keeps its probabilities in bfloat16, so a CPU that runs bfloat16 natively serves it
    assert info["device"] == "cpu"
    assert info["precision"] == ("bfloat16" if cpu_has_native_bfloat16() else "float32")
    assert info["source"] == f"models:/{champion.name}@champion"


def test_speech_clip_gives_segments_with_emotions(client, librivox) -> None:
    clip = librivox[0]
    with open(clip.path, "rb") as handle:
        response = client.post("/classify_media", files={"file": ("speech.wav", handle, "audio/wav")}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result = response.json()
    assert result["media"]["kind"] == "audio" and result["transcript"]["status"] == "ok"
    segments = result["segments"]
    assert segments and all(s["end"] > s["start"] and s["text"].strip() for s in segments)
    for segment in segments:
        assert_distribution(segment["emotions"])
    words = " ".join(s["text"] for s in segments).lower()
    assert sum(w in words for w in clip.reference.lower().split()) >= len(clip.reference.split()) // 2
    assert result["summary"]["segments"] == len(segments) and result["summary"]["dominant"] in EMOTIONS


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_bad_uploads_get_status_and_a_message_naming_the_file(corpus_answer, name) -> None:
    status, code = REJECTED[name]
    response = corpus_answer(name)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    if code != "too_large":  # the edge refuses an upload over the size limit before its name is read
        assert body["message"].startswith(f"'{name}': ") and len(body["message"]) > len(name) + 20


@pytest.mark.parametrize("name", sorted(ACCEPTED_EMPTY))
def test_media_without_speech_is_answered_with_the_reason(corpus_answer, name) -> None:
    response = corpus_answer(name)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transcript"]["status"] == ACCEPTED_EMPTY[name]
    # A span without words is not read as speech: it is scored by the faces or not at all, and says why.
    for segment in result["segments"]:
        assert segment["text"] is None and segment["speech_branch"] is None
        assert segment["emotions"] == segment["face_branch"]
    if not result["media"]["has_video"]:
        assert result["summary"]["dominant"] is None and result["summary"]["reason"]


@pytest.mark.parametrize("name", sorted(ACCEPTED_SPEECH))
def test_awkward_but_valid_speech_is_transcribed_and_classified(corpus_answer, librivox, name) -> None:
    response = corpus_answer(name)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transcript"]["status"] == ACCEPTED_SPEECH[name]
    assert result["media"]["duration_s"] == pytest.approx(7.1, abs=0.2)  # measured when the header is silent
    words = " ".join(s["text"] for s in result["segments"]).lower()
    reference = librivox[0].reference.lower().split()
    assert sum(w in words for w in reference) >= len(reference) // 2
    for segment in result["segments"]:
        assert_distribution(segment["emotions"])


def test_the_same_bytes_posted_at_once_get_the_same_answer(client, librivox) -> None:
    data = librivox[0].path.read_bytes()

    def post(_):
        response = client.post("/classify_media", files={"file": ("same.wav", data, "audio/wav")}, headers=AUTH)
        body = response.json()
        body.pop("timing_s", None)
        return response.status_code, body

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert [status for status, _ in answers] == [200] * 8
    assert all(body == answers[0][1] for _, body in answers)
    assert answers[0][1]["transcript"]["status"] == "ok"


def test_silent_talking_head_video_is_scored_from_the_faces(client, samples) -> None:
    with open(samples["talking_head.mp4"], "rb") as handle:
        response = client.post("/classify_media", files={"file": ("talking_head.mp4", handle)}, headers=AUTH)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transcript"]["status"] == "no_audio"
    [segment] = result["segments"]
    assert segment["start"] == 0.0 and segment["end"] == pytest.approx(result["media"]["duration_s"], abs=0.5)
    assert_distribution(segment["emotions"])
    assert segment["face_evidence"] and segment["emotions"] == segment["face_branch"]
    assert result["summary"]["dominant"] in EMOTIONS


def test_upload_over_the_limit_is_refused_before_it_is_read(client) -> None:
    response = client.post(
        "/classify_media",
        content=b"x" * 10,
        headers=AUTH | {"Content-Length": str(10 * 1024**3), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large" and "limit" in response.json()["message"]


def test_a_post_without_a_body_needs_no_length_but_a_streamed_one_does(client) -> None:
    assert client.post("/model_info", headers=AUTH).status_code == 200

    def stream():
        yield b'{"utterances": ["hi"]}'

    response = client.post("/classify_text", content=stream(), headers=AUTH | {"Content-Type": "application/json"})
    assert response.status_code == 411 and response.json()["error"] == "length_required"


def test_service_keeps_answering_after_bad_requests(client) -> None:
    client.post("/classify_media", content=b"--b--", headers=AUTH | {"Content-Type": "multipart/form-data; boundary=b"})
    client.post("/classify_text", content=b"{not json", headers=AUTH | {"Content-Type": "application/json"})
    assert client.post("/classify_text", json={"utterances": ["still here"]}, headers=AUTH).status_code == 200


def fill_up(path) -> None:
    """Write zeros to ``path`` until its filesystem refuses (unbuffered: nothing is left to flush)."""
    import errno
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 65536)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                return
    finally:
        os.close(fd)


def test_a_full_disk_is_answered_507_and_the_next_upload_is_served(client, librivox, small_disk) -> None:
    """The service's temporary folder on a full filesystem: not the file's fault, and nothing breaks."""
    import tempfile

    filler = small_disk / "filler"
    fill_up(filler)
    saved = tempfile.tempdir
    tempfile.tempdir = str(small_disk)
    try:
        with open(librivox[0].path, "rb") as handle:
            response = client.post("/classify_media", files={"file": ("reading.wav", handle)}, headers=AUTH)
    finally:
        tempfile.tempdir = saved
    assert response.status_code == 507, response.text
    assert response.json()["error"] == "storage_full" and "no room" in response.json()["message"]
    filler.unlink()
    with open(librivox[0].path, "rb") as handle:
        again = client.post("/classify_media", files={"file": ("reading.wav", handle)}, headers=AUTH)
    assert again.status_code == 200
