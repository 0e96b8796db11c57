"""End to end through a real ``bentoml serve`` of the Bento the ``emotion_bento`` asset built, after the
road the container image takes: exported to one file, imported into an empty BentoML store, served
with no MLflow reachable. Real speech and video in, emotions out, the same answers as the service
loaded from the MLflow alias (``test_service.py``); the edge errors through real HTTP.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.serving.balance import IMBALANCE
from emotion_platform.serving.local_server import connections_per_worker, local_server, worker_pids
from emotion_platform_tests.serving.conftest import API_KEY, LIMITED_KEY, LIMITED_RATE
from emotion_platform_tests.serving.expectations import REJECTED

pytestmark = pytest.mark.slow

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def exported_and_imported(built_bento, folder: Path) -> Path:
    """What ``make bento`` and ``docker/Dockerfile.bento`` do: export the Bento to one file (a relative
    path, from another directory), then import that file into an empty store; the new store's path."""
    bentoml = str(Path(sys.executable).with_name("bentoml"))
    (folder / "elsewhere").mkdir()
    export = "import sys; from emotion_platform.serving.bento import export; print(export(sys.argv[1], sys.argv[2]))"
    done = subprocess.run(
        [sys.executable, "-c", export, built_bento.value["bento_tag"], "build/emotion.bento"],
        env={**os.environ, "BENTOML_HOME": str(built_bento.bentoml_home)},
        cwd=folder / "elsewhere",
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    exported = Path(done.stdout.strip().splitlines()[-1])
    assert exported == folder / "elsewhere" / "build" / "emotion.bento" and exported.stat().st_size > 0
    assert [p.name for p in exported.parent.iterdir()] == ["emotion.bento"]  # no partial file left beside it
    image_store = folder / "image-bentoml-home"
    subprocess.run(
        [bentoml, "import", str(exported)],
        env={**os.environ, "BENTOML_HOME": str(image_store)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return image_store


@pytest.fixture(scope="module")
def server(serving_env, built_bento, tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    env = serving_env | {
        "BENTOML_HOME": str(exported_and_imported(built_bento, folder)),
        "EMOTION_PLATFORM_LOG_FORMAT": "json",
        # The Bento must not need the registry: point MLflow at an empty database.
        "EMOTION_PLATFORM_MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'absent.db'}",
    }
    with (
        local_server(env=env, target="emotion_classifier:latest", log=folder / "bentoml.log", cwd=folder) as url,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        yield client, folder / "bentoml.log"


def upload(client: httpx.Client, path, name: str | None = None, headers=AUTH) -> httpx.Response:
    with open(path, "rb") as handle:
        return client.post("/classify_media", files={"file": (name or path.name, handle)}, headers=headers)


def test_real_speech_clip_through_the_server(server, built_bento, librivox) -> None:
    client, _ = server
    response = upload(client, librivox[1].path)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["transcript"]["status"] == "ok"
    assert result["segments"], result
    for segment in result["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= result["media"]["duration_s"] + 0.5
        assert segment["text"].strip()
        assert list(segment["emotions"]) == list(EMOTIONS)
    assert result["summary"]["dominant"] in EMOTIONS
    champion = built_bento.champion
    assert result["model"]["source"] == f"models:/{champion.name}/{champion.version}"  # the Bento's own copy


def test_the_imported_bento_answers_as_the_service_loaded_from_mlflow(server, mlflow_service, librivox) -> None:
    client, _ = server
    utterances = ["I am furious with you. How dare you lie to me again?", "The meeting is on Tuesday at ten."]
    served, loaded = (
        c.post("/classify_text", json={"utterances": utterances}, headers=AUTH).json() for c in (client, mlflow_service)
    )
    for bento_answer, mlflow_answer in zip(served, loaded, strict=True):
        assert bento_answer["top"] == mlflow_answer["top"]
        assert max(abs(bento_answer["emotions"][e] - mlflow_answer["emotions"][e]) for e in EMOTIONS) < 2e-3
    served, loaded = (upload(c, librivox[2].path).json() for c in (client, mlflow_service))
    assert [(s["start"], s["end"], s["text"]) for s in served["segments"]] == [
        (s["start"], s["end"], s["text"]) for s in loaded["segments"]
    ]
    for bento_segment, mlflow_segment in zip(served["segments"], loaded["segments"], strict=True):
        for key in ("emotions", "speech_branch", "text_branch"):
            assert max(abs(bento_segment[key][e] - mlflow_segment[key][e]) for e in EMOTIONS) < 2e-3, key
    assert served["summary"]["dominant"] == loaded["summary"]["dominant"]


def test_real_talking_head_video_through_the_server(server, samples) -> None:
    client, _ = server
    response = upload(client, samples["talking_head.mp4"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["media"]["kind"] == "video" and result["media"]["has_video"]
    # No sound track: nothing transcribed (said so), and the faces give the emotions of the one span.
    assert result["transcript"]["status"] == "no_audio"
    assert result["segments"] and all(s["face_evidence"] for s in result["segments"])
    assert list(result["segments"][0]["emotions"]) == list(EMOTIONS)


def test_text_and_its_batching_metrics(server) -> None:
    client, _ = server
    response = client.post("/classify_text", json={"utterances": ["What a day!", "I'm scared."]}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert [r["text"] for r in response.json()] == ["What a day!", "I'm scared."]
    metrics = client.get("/metrics", headers=AUTH)
    assert metrics.status_code == 200
    assert "bentoml_service_request_duration_seconds_bucket" in metrics.text
    assert 'endpoint="/classify_text"' in metrics.text
    assert "emotion_text_utterances_per_model_call_bucket" in metrics.text
    assert "bentoml_service_adaptive_batch_size_bucket" in metrics.text


def test_edge_errors_through_the_server(server, bad_corpus, librivox) -> None:
    client, log = server
    folder, _ = bad_corpus
    assert upload(client, librivox[0].path, headers={}).status_code == 401
    for name in ("long_lecture.wav", "photo_of_speaker.png", "cut_short.wav", "night_recording.ogg"):
        response = upload(client, folder / name, name="clip.wav")  # a misleading name changes nothing
        status, code = REJECTED[name]
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert client.get("/readyz").status_code == 200  # the worker survived all of it
    assert "Traceback" not in log.read_text(errors="replace")


def test_json_log_lines_name_the_request_its_trace_and_the_model(server, built_bento) -> None:
    client, log = server
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = client.post(
        "/classify_text",
        json={"utterances": ["Traced."]},
        headers=AUTH | {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )
    assert response.status_code == 200
    request_id = response.headers["X-BentoML-Request-ID"]
    time.sleep(0.5)  # the access line is written as the response completes
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("request_id") == request_id]
    assert mine, log.read_text()[-3000:]
    assert all(r["trace_id"] == trace_id for r in mine)
    assert any("path=/classify_text" in r["message"] and "status=200" in r["message"] for r in mine)
    assert {r["model_version"] for r in mine} == {built_bento.metadata["mlflow_version"]}
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_a_key_over_its_rate_gets_429_with_retry_after(server) -> None:
    client, _ = server
    budget = int(LIMITED_RATE.split("/")[0])
    responses = []
    for _ in range(budget + 2):  # a new connection each time, so the workers share the asking
        with httpx.Client(base_url=str(client.base_url), timeout=60) as fresh:
            responses.append(fresh.post("/model_info", headers={"X-API-Key": LIMITED_KEY}))
    assert [r.status_code for r in responses] == [200] * budget + [429, 429]
    refused = responses[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 // budget
    assert refused.json()["error"] == "rate_limited" and LIMITED_RATE in refused.json()["message"]
    assert client.post("/model_info", headers=AUTH).status_code == 200  # other keys keep their own budget
    assert client.post("/model_info", headers={"X-API-Key": "wrong"}).status_code == 401  # auth comes first


def test_every_service_metric_the_dashboard_reads_is_exported(server) -> None:
    from emotion_platform_tests.test_monitoring_config import dashboard_metric_names

    client, _ = server
    text = client.get("/metrics", headers=AUTH).text
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    exported |= {re.sub(r"_(bucket|sum|count|total)$", "", name) for name in exported}
    wanted = {name for name in dashboard_metric_names() if not name.startswith("emotion_platform_")}
    wanted = {re.sub(r"_total$", "", name) for name in wanted}
    assert wanted and wanted <= exported, wanted - exported


def test_keep_alive_connections_even_out_over_the_workers(server) -> None:
    client, _ = server
    workers = client.post("/model_info", headers=AUTH).json()["workers"]
    if workers < 2:
        pytest.skip("a single worker: nothing to balance")
    clients, stop, statuses = 10, threading.Event(), []

    def keep_asking() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=60) as own:  # one keep-alive connection
            while not stop.is_set():
                statuses.append(own.post("/classify_text", json={"utterances": ["Fine."]}, headers=AUTH).status_code)

    threads = [threading.Thread(target=keep_asking) for _ in range(clients)]
    for thread in threads:
        thread.start()
    splits = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(1.0)
            splits.append(connections_per_worker(client.base_url.port))
            split = splits[-1]
            if len(split) == workers and sum(split) >= clients - 1 and split[0] - split[-1] < IMBALANCE:
                break
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert splits[-1][0] - splits[-1][-1] < IMBALANCE, splits
    assert statuses and set(statuses) == {200}


def test_a_worker_killed_mid_request_is_replaced_and_the_next_requests_are_served(server, librivox) -> None:
    """Runs last in this module: it takes one worker down (BentoML's process manager starts another)."""
    client, log = server
    port = client.base_url.port
    before = worker_pids(port)
    assert before
    victim = before[0]
    outcome: dict[str, object] = {}

    def in_flight() -> None:
        try:
            outcome["status"] = upload(client, librivox[3].path).status_code
        except httpx.HTTPError as error:  # the connection of the killed worker breaks
            outcome["error"] = type(error).__name__

    requests = [threading.Thread(target=in_flight) for _ in range(len(before) * 2)]
    for thread in requests:
        thread.start()
    time.sleep(0.5)
    os.kill(victim, signal.SIGKILL)
    for thread in requests:
        thread.join(120)

    deadline, pids = time.monotonic() + 180, []
    while time.monotonic() < deadline:
        pids = worker_pids(port)
        if len(pids) == len(before) and victim not in pids:
            break
        time.sleep(1.0)
    assert len(pids) == len(before) and victim not in pids, (before, pids)
    for _ in range(2 * len(before)):  # new connections: every worker, the new one included, answers
        with httpx.Client(base_url=str(client.base_url), timeout=120) as fresh:
            response = fresh.post("/classify_text", json={"utterances": ["Back again."]}, headers=AUTH)
            assert response.status_code == 200, response.text
