"""Serving throughput and latency through a real ``bentoml serve`` on 127.0.0.1, batching on and off,
and beside a plain FastAPI + transformers server of the same text model.

Usage: .venv/bin/python bench/serving.py [--text-requests 10000] [--quick] [--peer-only]

In one run, for adaptive batching on and then off (the baseline), it starts the server, drives
``/classify_text`` (one utterance per request, real MELD utterances) and ``/classify_media`` (a
real LibriVox clip) at concurrency 1, 16 and 64, and prints throughput, p50/p95/p99 latency and
error counts; then it classifies a 60 s clip of real LibriVox speech. Each load level stops at its
request count or its time limit, whichever comes first. The client is a minimal keep-alive
HTTP/1.1 client on asyncio, so it costs the server little of the shared CPU. The clients of a
load level connect over --ramp-s seconds (default 0.5), as users arriving; --ramp-s 0 connects
them in the same millisecond, when the BentoML worker that wakes first on the shared listening
socket often accepts most of them. The service evens that out (serving/balance.py): the
``conns/worker`` column is the last sample of how the workers held the connections, ``moved`` how
many connections the service closed to rebalance them during the level.

Every server runs with its per-API-key rate limit on, at 1,000,000/second: the limiter does its
work on every request (and costs what it costs) but never refuses one.

The peer (``bench/peer_server.py``): what a user would write to serve the same text model, a FastAPI
app with one ``POST /classify_text`` that runs the champion's transformers model per request under
``torch.no_grad()`` (float32, no batching), under uvicorn with as many workers as the service; with
torch threads per worker split as the service splits them (``split``) and left at torch's default
(``default``); ``--peer-threads`` picks (empty: no peer). Last in the run, the service (batching on)
and the peers are started side by side and driven by the same client, level by level in turn
(service c=1, peers c=1, service c=16, ...), so that load from elsewhere on a shared machine weighs
on both; the table prints ok/s and p95 of both and service/peer. ``--peer-only`` runs just that.

Model: the platform's champion when its MLflow has one (--model champion), else a model of the
same architecture and cost (the shipped MiniLM encoder with a seven-way head, --model minilm)
registered in a temporary MLflow. Device: EMOTION_PLATFORM_SERVING_DEVICE (auto: the GPU when
there is one), so the same command runs unchanged on a GPU machine.

First it starts a one-worker server and times its first media and text requests against warm
ones (every model is loaded and run once before a worker reports ready; ``--cold-start-only`` runs
just this).

Targets (2 CPU cores): the first request of a fresh worker at most 2x a warm one; text at
concurrency 16 p95 <= 100 ms and >= 250 requests/s with 0 server errors over 10,000 requests; a
60 s clip classified in <= 6 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import pandas as pd  # noqa: E402
from machine import cpu_times, describe, steal_share  # noqa: E402  (bench/machine.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.lib import atomic  # noqa: E402
from emotion_platform.lib.audio import SAMPLE_RATE  # noqa: E402
from emotion_platform.lib.media.ffmpeg import tool  # noqa: E402
from emotion_platform.lib.samples import librivox_clips  # noqa: E402
from emotion_platform.lib.tracking import ModelRegistry  # noqa: E402
from emotion_platform.serving.local_server import (  # noqa: E402
    HOST,
    ServerFailed,
    connections_per_worker,
    free_port,
    local_server,
    stop,
    tail,
)
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results" / "serving.json"
CONCURRENCY = (1, 16, 64)
BENCH_RATE_LIMIT = "1000000/second"  # the limiter runs on every request but never refuses one


# --- a minimal keep-alive HTTP/1.1 client -----------------------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, path: str, body: bytes, content_type: str, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nX-API-Key: {key}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        payload = await (self._read_chunked() if chunked else self.reader.readexactly(length))
        if close:
            await self.close()
        return status, payload

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class LoadResult:
    kind: str
    batching: bool
    concurrency: int
    requests: int
    seconds: float
    ok: int
    client_errors: int
    server_errors: int
    connection_errors: int
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    worker_connections: list[int] = field(default_factory=list)
    rebalanced: int = 0  # keep-alive connections the service closed to even out its workers
    stolen: float | None = None  # share of CPU time the hypervisor took during the level

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]

    def summary(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "latencies_ms"} | {
            "throughput_rps": round(self.throughput, 2),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
        }


async def drive(
    port: int,
    key: str,
    path: str,
    bodies: list[tuple[bytes, str]],
    concurrency: int,
    total: int,
    max_seconds: float,
    kind: str,
    batching: bool,
    ramp_s: float = 0.0,
) -> LoadResult:
    """``total`` requests (cycling through ``bodies``) from ``concurrency`` workers, or until ``max_seconds``.

    The workers start ``ramp_s / concurrency`` apart, as clients arriving over ``ramp_s`` seconds.
    """
    result = LoadResult(kind, batching, concurrency, 0, 0.0, 0, 0, 0, 0)
    counter = iter(range(total))
    deadline = time.perf_counter() + max_seconds

    async def worker(index: int) -> None:
        await asyncio.sleep(index * ramp_s / concurrency)
        connection = Connection(port)
        try:
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                body, content_type = bodies[i % len(bodies)]
                started = time.perf_counter()
                try:
                    status, _ = await connection.request(path, body, content_type, key)
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    result.connection_errors += 1
                    await connection.close()
                    continue
                result.requests += 1
                if status < 300:
                    result.ok += 1
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                elif status >= 500:
                    result.server_errors += 1
                else:
                    result.client_errors += 1
        finally:
            await connection.close()

    async def count_connections() -> None:
        # Sampled every 2 s once all clients are connected; the last sample (the settled split) is kept.
        await asyncio.sleep(ramp_s + 1.0)
        while True:
            result.worker_connections = await asyncio.to_thread(connections_per_worker, port)
            await asyncio.sleep(2.0)

    started = time.perf_counter()
    counting = asyncio.create_task(count_connections())
    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    result.seconds = time.perf_counter() - started
    counting.cancel()
    return result


def rebalanced_total(url: str, key: str) -> int:
    """The service's count of connections it closed to rebalance its workers (all workers together)."""
    import re

    import httpx

    text = httpx.get(f"{url}/metrics", headers={"X-API-Key": key}, timeout=30).text
    found = re.search(r"^emotion_rebalanced_connections_total (\S+)", text, re.M)
    return int(float(found.group(1))) if found else 0


def measured(url: str, key: str, load) -> LoadResult:
    """Run one load level (a coroutine) and record how many connections the service moved meanwhile."""
    before, times = rebalanced_total(url, key), cpu_times()
    result = asyncio.run(load)
    result.stolen = steal_share(times, cpu_times())
    result.rebalanced = rebalanced_total(url, key) - before
    return result


# --- inputs ---------------------------------------------------------------------------------------


def meld_utterances(n: int = 2000) -> list[str]:
    """Real dialogue lines (MELD test split) as the text load."""
    csv = PlatformSettings().datasets_dir / "meld_text" / "labels.csv"
    if csv.exists():
        table = pd.read_csv(csv)
        lines = table.loc[table["split"] == "test", "text"].dropna().astype(str).str.strip()
        return [u for u in lines.tolist() if u][:n]
    return [c.reference for c in librivox_clips()]


def multipart(path: Path, name: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def minute_of_speech(dest: Path, seconds: float = 60.0) -> Path:
    """Real LibriVox speech, clips concatenated and repeated to ``seconds``."""
    clips = [c.path for c in librivox_clips()]
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in clips * 8))
    subprocess.run(
        [
            tool("ffmpeg"),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-t",
            str(seconds),
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            str(dest),
        ],
        check=True,
    )
    return dest


# --- the model ------------------------------------------------------------------------------------


def register_minilm_model(root: Path, name: str = "emotion-model-bench") -> tuple[str, str]:
    """The shipped MiniLM encoder with a seven-way head, registered as champion in a new sqlite MLflow."""
    import mlflow

    from emotion_platform.lib.bundle import EmotionBundle
    from emotion_platform.lib.text_model.encoder import minilm_dir
    from emotion_platform.lib.text_model.model import TextEmotionModel
    from emotion_platform.lib.tracking import ensure_experiment, log_bundle

    text = TextEmotionModel.untrained(minilm_dir())
    bundle_dir = EmotionBundle(text, speech=None, fusion=None).save(root / "bundle")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run(experiment_id=ensure_experiment(uri, "bench-serving", root / "artifacts")):
        info = log_bundle(bundle_dir, name, ["torch", "transformers"], uri)
    ModelRegistry(uri, name).promote(str(info.registered_model_version), "serving benchmark")
    return uri, name


def model_env(choice: str, work: Path) -> tuple[dict[str, str], str]:
    """Environment pointing the service at the model to benchmark, and a line describing it."""
    settings = PlatformSettings()
    uri = settings.tracking_uri
    # A sqlite store that does not exist has no champion (and asking MLflow would create it).
    exists = not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).exists()
    has_champion = exists and ModelRegistry(uri, settings.registered_model).champion() is not None
    if choice == "champion" or (choice == "auto" and has_champion):
        if not has_champion:
            raise SystemExit(
                f"no champion in {settings.tracking_uri}: train one (emotion-platform train) or use --model minilm"
            )
        return {}, f"the platform champion ({settings.registered_model}@champion)"
    uri, name = register_minilm_model(work / "mlflow")
    env = {"EMOTION_PLATFORM_MLFLOW_TRACKING_URI": uri, "EMOTION_PLATFORM_REGISTERED_MODEL": name}
    return env, "MiniLM-L6 encoder + seven-way head (same architecture and cost as the champion; untrained head)"


# --- the run --------------------------------------------------------------------------------------


def service_env(env: dict[str, str], work: Path, key: str) -> dict[str, str]:
    """``env`` plus what every benchmark server gets: production mode with one API key, a BentoML home
    and a rate-limit store in ``work``, and a per-key rate limit that runs (and costs what it costs)
    but never refuses."""
    return env | {
        "EMOTION_PLATFORM_SERVING_API_KEYS": key,
        "EMOTION_PLATFORM_SERVING_MODE": "production",
        "BENTOML_HOME": str(work / "bentoml-home"),
        "EMOTION_PLATFORM_SERVING_RATE_LIMIT": BENCH_RATE_LIMIT,
        "EMOTION_PLATFORM_SERVING_RATE_LIMIT_DB": str(work / "rate_limits.sqlite"),
    }


def text_bodies(texts: list[str]) -> list[tuple[bytes, str]]:
    """One-utterance ``/classify_text`` request bodies."""
    return [(json.dumps({"utterances": [t]}).encode(), "application/json") for t in texts]


def text_level(
    port: int, key: str, texts: list[str], args, concurrency: int, kind: str, batching: bool, url: str | None = None
) -> LoadResult:
    """``/classify_text`` at one concurrency (connections moved counted when ``url`` is the service's)."""
    total = args.text_requests if concurrency > 1 else min(args.text_requests, 1000)
    load = drive(
        port,
        key,
        "/classify_text",
        text_bodies(texts),
        concurrency,
        total,
        args.max_seconds,
        kind,
        batching,
        args.ramp_s,
    )
    if url is not None:
        result = measured(url, key, load)
    else:
        times = cpu_times()
        result = asyncio.run(load)
        result.stolen = steal_share(times, cpu_times())
    print(f"  {kind} c={concurrency}: {result.summary()}", flush=True)
    return result


def run_mode(
    batching: bool, args, env: dict[str, str], work: Path, texts: list[str], clip: Path, minute: Path
) -> tuple[list[LoadResult], dict]:
    """Start the service with batching on or off and drive its text and media APIs; then the 60 s clip."""
    key = secrets.token_urlsafe(16)
    env = service_env(env, work, key) | {"EMOTION_PLATFORM_SERVING_TEXT_BATCHING": str(batching).lower()}
    media_body = [multipart(clip, clip.name)]
    log = work / f"server-batching-{batching}.log"
    with local_server(env=env, log=log) as url:
        port = int(url.rsplit(":", 1)[1])
        info = asyncio.run(Connection(port).request("/model_info", b"{}", "application/json", key))[1]
        model_info = json.loads(info)
        asyncio.run(drive(port, key, "/classify_text", text_bodies(texts), 8, 200, 30, "warm-up", batching))
        results = [text_level(port, key, texts, args, c, "text", batching, url) for c in CONCURRENCY]
        asyncio.run(drive(port, key, "/classify_media", media_body, 1, 1, 60, "warm-up", batching))
        for c in CONCURRENCY:
            results.append(
                measured(
                    url,
                    key,
                    drive(
                        port,
                        key,
                        "/classify_media",
                        media_body,
                        c,
                        max(c, 4),
                        args.max_seconds,
                        "media",
                        batching,
                        args.ramp_s,
                    ),
                )
            )
            print(f"  media c={c}: {results[-1].summary()}", flush=True)
        minute_body, minute_type = multipart(minute, minute.name)
        times = cpu_times()
        minute_runs = [
            asyncio.run(classify_once(port, key, minute_body, minute_type)) for _ in range(args.minute_repeats)
        ]
        stolen = steal_share(times, cpu_times())
    model_info["minute_clip_s"] = [seconds for seconds, _ in minute_runs]
    model_info["minute_clip_stages_s"] = [stages for _, stages in minute_runs]
    model_info["minute_clip_stolen"] = None if stolen is None else round(stolen, 3)
    print(
        f"  60 s clip: {minute_runs}; CPU time stolen meanwhile: {stolen if stolen is None else f'{stolen:.0%}'}",
        flush=True,
    )
    return results, model_info


def cold_start(env: dict[str, str], work: Path, clip: Path, text: str, warm_repeats: int = 3) -> dict:
    """The first requests a fresh worker serves against warm ones: a one-worker server (so the first
    request surely lands on a new worker), timed from the moment it reports ready."""
    key = secrets.token_urlsafe(16)
    env = service_env(env, work, key) | {"EMOTION_PLATFORM_SERVING_WORKERS": "1"}
    media_body, media_type = multipart(clip, clip.name)
    text_body = json.dumps({"utterances": [text]}).encode()

    async def timed(path: str, body: bytes, content_type: str) -> float:
        connection = Connection(port)
        started = time.perf_counter()
        try:
            status, payload = await connection.request(path, body, content_type, key)
        finally:
            await connection.close()
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {payload[:300]!r}")
        return (time.perf_counter() - started) * 1000

    with local_server(env=env, log=work / "server-cold-start.log") as url:
        port = int(url.rsplit(":", 1)[1])
        first = {
            "media": asyncio.run(timed("/classify_media", media_body, media_type)),
            "text": asyncio.run(timed("/classify_text", text_body, "application/json")),
        }
        warm = {
            "media": [asyncio.run(timed("/classify_media", media_body, media_type)) for _ in range(warm_repeats)],
            "text": [asyncio.run(timed("/classify_text", text_body, "application/json")) for _ in range(warm_repeats)],
        }
    rows = {}
    for kind in ("media", "text"):
        median = statistics.median(warm[kind])
        rows[kind] = {
            "first_ms": round(first[kind], 1),
            "warm_median_ms": round(median, 1),
            "ratio": round(first[kind] / median, 2),
        }
        print(
            f"  cold start {kind}: first request {first[kind]:.0f} ms, warm median {median:.0f} ms "
            f"({rows[kind]['ratio']:.2f}x; target <= 2x)",
            flush=True,
        )
    return rows


async def classify_once(port: int, key: str, body: bytes, content_type: str) -> tuple[float | None, dict | None]:
    """Wall time of one media request as the client sees it, and the service's own stage timings."""
    connection = Connection(port)
    started = time.perf_counter()
    try:
        status, payload = await connection.request("/classify_media", body, content_type, key)
    finally:
        await connection.close()
    if status != 200:
        return None, {"status": status, "body": payload[:300].decode(errors="replace")}
    return round(time.perf_counter() - started, 2), json.loads(payload)["timing_s"]


# --- the peer: the same text model behind a plain FastAPI + transformers server ---------------------

PEER_APP = Path(__file__).with_name("peer_server.py")
PEER_RESULTS = PROJECT_ROOT / "bench" / "results" / "peer.json"
PEER_THREADS = ("split", "default")  # torch threads per peer worker: cores / workers, or torch's default
PROBE_UTTERANCES = 20


def peer_model_dir(env: dict[str, str], work: Path) -> Path:
    """The text model the service serves (``text/`` of the registered champion bundle), downloaded from
    MLflow as a user would."""
    import mlflow
    from mlflow.models import Model

    settings = PlatformSettings()
    uri = env.get("EMOTION_PLATFORM_MLFLOW_TRACKING_URI", settings.tracking_uri)
    name = env.get("EMOTION_PLATFORM_REGISTERED_MODEL", settings.registered_model)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}@champion", dst_path=str(work / "peer-model"))
    )
    bundle = Model.load(str(local / "MLmodel")).flavors["python_function"]["artifacts"]["bundle"]["path"]
    return local / bundle / "text"


@contextlib.contextmanager
def peer_server(
    model_dir: Path, workers: int, torch_threads: int | None, log: Path, timeout_s: float = 180.0
) -> Iterator[int]:
    """``uvicorn peer_server:app --workers <workers>`` on loopback until the block ends; yields its port."""
    port = free_port()
    env = os.environ | {"PEER_MODEL_DIR": str(model_dir)}
    if torch_threads is not None:
        env["PEER_TORCH_THREADS"] = str(torch_threads)
    command = [
        str(Path(sys.executable).with_name("uvicorn")),
        "peer_server:app",
        "--app-dir",
        str(PEER_APP.parent),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while not peer_ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerFailed(f"the peer server did not start (exit {process.poll()}):\n{tail(log)}")
            time.sleep(0.5)
        yield port
    finally:
        stop(process)


def peer_ready(port: int) -> bool:
    import httpx

    try:
        return (
            httpx.post(f"http://{HOST}:{port}/classify_text", json={"utterances": ["ready?"]}, timeout=5).status_code
            == 200
        )
    except httpx.HTTPError:
        return False


async def probe_answers(port: int, key: str, texts: list[str]) -> list[dict[str, float]]:
    """The emotion distribution a server gives each of ``texts``, one request per utterance."""
    connection = Connection(port)
    try:
        answers = []
        for text in texts:
            status, payload = await connection.request(
                "/classify_text", json.dumps({"utterances": [text]}).encode(), "application/json", key
            )
            if status != 200:
                raise SystemExit(f"/classify_text answered {status}: {payload[:300]!r}")
            answers.append(json.loads(payload)[0]["emotions"])
        return answers
    finally:
        await connection.close()


def largest_gap(a: list[dict[str, float]], b: list[dict[str, float]]) -> float:
    """The largest difference between two servers' probabilities for the same utterances."""
    return max(abs(x[e] - y[e]) for x, y in zip(a, b, strict=True) for e in x)


def torch_threads_for(threads: str, workers: int) -> int | None:
    """A peer configuration's torch threads per worker: "split" the cores as the service does; "default": torch's."""
    return max(1, len(os.sched_getaffinity(0)) // workers) if threads == "split" else None


def run_comparison(
    args, env: dict[str, str], work: Path, texts: list[str]
) -> tuple[dict[str, list[LoadResult]], dict[str, list[dict[str, float]]], dict]:
    """The service (batching on) and each peer configuration of ``--peer-threads`` up side by side, idle
    but for the level being driven: at each concurrency the service's level, then each peer's, so that
    what else the machine runs meanwhile weighs on them alike. Returns the levels and the answers to
    the probe utterances, by server ("service" or the peer configuration), and the service's model info."""
    key = secrets.token_urlsafe(16)
    model_dir = peer_model_dir(env, work)
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(local_server(env=service_env(env, work, key), log=work / "server-comparison.log"))
        info = json.loads(
            asyncio.run(Connection(int(url.rsplit(":", 1)[1])).request("/model_info", b"{}", "application/json", key))[
                1
            ]
        )
        servers = {"service": (int(url.rsplit(":", 1)[1]), key, url)}
        for threads in args.peer_threads:
            print(f"peer (torch threads: {threads}): starting uvicorn ...", flush=True)
            port = stack.enter_context(
                peer_server(
                    model_dir,
                    info["workers"],
                    torch_threads_for(threads, info["workers"]),
                    work / f"peer-{threads}.log",
                )
            )
            servers[threads] = (port, "", None)
        answers, results = {}, {name: [] for name in servers}
        for name, (port, server_key, _) in servers.items():
            answers[name] = asyncio.run(probe_answers(port, server_key, texts[:PROBE_UTTERANCES]))
            asyncio.run(drive(port, server_key, "/classify_text", text_bodies(texts), 8, 200, 30, "warm-up", False))
        for c in CONCURRENCY:
            for name, (port, server_key, service_url) in servers.items():
                kind = "text" if name == "service" else f"peer ({name})"
                results[name].append(text_level(port, server_key, texts, args, c, kind, name == "service", service_url))
    return results, answers, info


def peer_comparison(
    console: Console, results: dict[str, list[LoadResult]], answers: dict[str, list[dict[str, float]]], workers: int
) -> dict:
    """Print the service's text levels beside each peer's (ok/s and p95, and service/peer); their record."""
    table = Table(
        title="/classify_text, 1 utterance per request: the service (adaptive batching on) vs a plain "
        f"FastAPI + transformers server of the same model (uvicorn, {workers} workers), levels "
        "interleaved"
    )
    for col in (
        "peer torch threads",
        "conc.",
        "service ok/s",
        "service p95 ms",
        "peer ok/s",
        "peer p95 ms",
        "peer 5xx+conn.",
        "ok/s service/peer",
        "p95 service/peer",
    ):
        table.add_column(col, justify="right")
    by_concurrency = {r.concurrency: r for r in results["service"]}
    record = {"service": [r.summary() for r in results["service"]]}
    for threads, levels in results.items():
        if threads == "service":
            continue
        torch_threads = torch_threads_for(threads, workers)
        label = f"{torch_threads} (cores/workers)" if torch_threads else "torch default"
        rows = []
        for peer in levels:
            ours = by_concurrency[peer.concurrency]
            ratio = ours.throughput / peer.throughput if peer.throughput else float("nan")
            p95_ratio = ours.percentile(95) / peer.percentile(95)
            table.add_row(
                label,
                str(peer.concurrency),
                f"{ours.throughput:.1f}",
                f"{ours.percentile(95):.0f}",
                f"{peer.throughput:.1f}",
                f"{peer.percentile(95):.0f}",
                str(peer.server_errors + peer.connection_errors),
                f"{ratio:.2f}x",
                f"{p95_ratio:.2f}x",
            )
            rows.append(
                peer.summary()
                | {
                    "throughput_ratio_service_over_peer": round(ratio, 2),
                    "p95_ratio_service_over_peer": round(p95_ratio, 2),
                }
            )
        gap = largest_gap(answers["service"], answers[threads])
        console.print(
            f"peer ({label}) vs service: largest probability difference over {len(answers[threads])} "
            f"utterances {gap:.4f} (the service may run the model in bfloat16)"
        )
        record[threads] = {"torch_threads": torch_threads, "probability_gap": round(gap, 4), "results": rows}
    console.print(table)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text-requests", type=int, default=10_000, help="text requests per load level")
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time limit per load level")
    parser.add_argument("--minute-repeats", type=int, default=3)
    parser.add_argument("--model", choices=("auto", "champion", "minilm"), default="auto")
    parser.add_argument("--quick", action="store_true", help="1,000 text requests per level, one 60 s run")
    parser.add_argument(
        "--ramp-s",
        type=float,
        default=0.5,
        help="clients of a load level connect over this many seconds (0: all at once)",
    )
    parser.add_argument("--workers", default="auto", help="server processes (EMOTION_PLATFORM_SERVING_WORKERS)")
    parser.add_argument(
        "--cold-start-only", action="store_true", help="only the first request of a fresh worker against warm ones"
    )
    parser.add_argument(
        "--peer-only",
        action="store_true",
        help="only text through the service (batching on) and through the FastAPI peer",
    )
    parser.add_argument(
        "--peer-threads",
        default=",".join(PEER_THREADS),
        help="peer configurations, comma-separated: split (torch threads = cores / workers, as "
        "the service) and/or default (torch's default); empty: no peer",
    )
    args = parser.parse_args()
    if args.quick:
        args.text_requests, args.minute_repeats = 1000, 1
    args.peer_threads = [t for t in args.peer_threads.split(",") if t]
    if not set(args.peer_threads) <= set(PEER_THREADS):
        parser.error(f"--peer-threads takes {', '.join(PEER_THREADS)}")
    if args.peer_only and not args.peer_threads:
        parser.error("--peer-only needs at least one --peer-threads configuration")
    console = Console(width=150)
    machine_before = cpu_times()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        work = Path(tmp)
        env, model_line = model_env(args.model, work)
        env = env | {"EMOTION_PLATFORM_SERVING_WORKERS": args.workers}
        texts = meld_utterances()
        clip = librivox_clips()[0].path
        comparison = None
        if not args.peer_only:
            console.print("[bold]cold start[/bold]: a fresh one-worker server, its first requests against warm ones")
            cold = cold_start(env, work, clip, texts[0])
            if args.cold_start_only:
                return
            minute = minute_of_speech(work / "minute.wav")
            runs = {}
            for batching in (True, False):
                console.print(f"[bold]batching {'on' if batching else 'off'}[/bold]: starting the server ...")
                runs[batching] = run_mode(batching, args, env, work, texts, clip, minute)
        if args.peer_threads:
            console.print("[bold]service vs peer[/bold]: the service (batching on) and the FastAPI peer side by side")
            comparison = run_comparison(args, env, work, texts)
    info = comparison[2] if args.peer_only else runs[True][1]
    console.print(
        f"model: {model_line}; serving version {info['version']} on {info['device']} ({info['precision']}); "
        f"transcriber {info['transcriber']['backend']} {info['transcriber']['model']} on "
        f"{info['transcriber']['device']}; {info['workers']} workers x {info['torch_threads']} torch "
        "threads; "
        f"clients connect over {args.ramp_s} s; {describe(machine_before)}"
    )
    peer_record = peer_comparison(console, comparison[0], comparison[1], info["workers"]) if comparison else {}
    if args.peer_only:
        atomic.write_json(
            PEER_RESULTS,
            {
                "model": model_line,
                "model_info": info,
                "cpu_count": os.cpu_count(),
                "ramp_s": args.ramp_s,
                "comparison": peer_record,
            },
        )
        console.print(f"written: {PEER_RESULTS}")
        return
    table = Table(
        title="bench/serving.py: /classify_text (1 utterance per request) and /classify_media "
        f"({clip.name}), batching on vs off (baseline)"
    )
    for col in (
        "API",
        "batching",
        "conc.",
        "requests",
        "ok/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "4xx",
        "5xx",
        "conn. err",
        "conns/worker",
        "moved",
        "stolen",
        "ok/s vs off",
    ):
        table.add_column(col, justify="right")
    baseline = {(r.kind, r.concurrency): r for r in runs[False][0]}
    for batching in (True, False):
        for r in runs[batching][0]:
            s = r.summary()
            ratio = (
                r.throughput / baseline[(r.kind, r.concurrency)].throughput
                if baseline[(r.kind, r.concurrency)].throughput
                else float("nan")
            )
            table.add_row(
                r.kind,
                "on" if batching else "off",
                str(r.concurrency),
                str(r.requests),
                f"{s['throughput_rps']:.1f}",
                f"{s['p50_ms']:.0f}",
                f"{s['p95_ms']:.0f}",
                f"{s['p99_ms']:.0f}",
                str(r.client_errors),
                str(r.server_errors),
                str(r.connection_errors),
                "/".join(map(str, r.worker_connections)) or "-",
                str(r.rebalanced),
                f"{r.stolen:.0%}" if r.stolen is not None else "-",
                f"{ratio:.2f}x",
            )
    console.print(table)
    text16 = next(r for r in runs[True][0] if r.kind == "text" and r.concurrency == 16)
    minute_s = [s for s in runs[True][1]["minute_clip_s"] + runs[False][1]["minute_clip_s"] if s is not None]
    verdicts = [
        ("text c=16 p95 <= 100 ms", text16.percentile(95) <= 100, f"{text16.percentile(95):.0f} ms"),
        ("text c=16 >= 250 requests/s", text16.throughput >= 250, f"{text16.throughput:.0f} /s"),
        (
            f"text c=16 0 server errors over {text16.requests} requests (target 10,000)",
            text16.server_errors == 0 and text16.connection_errors == 0 and text16.requests >= 10_000,
            f"{text16.server_errors} 5xx, {text16.connection_errors} connection errors",
        ),
        ("60 s clip classified in <= 6 s", bool(minute_s) and max(minute_s) <= 6.0, f"{minute_s} s"),
        *(
            (
                f"first {kind} request of a fresh worker <= 2x a warm one",
                row["ratio"] <= 2.0,
                f"{row['first_ms']:.0f} ms vs {row['warm_median_ms']:.0f} ms, {row['ratio']:.2f}x",
            )
            for kind, row in cold.items()
        ),
    ]
    for name, ok, value in verdicts:
        console.print(f"target {name}: {'met' if ok else 'NOT met'} ({value})")
    record = {
        "model": model_line,
        "model_info": runs[True][1],
        "cpu_count": os.cpu_count(),
        "ramp_s": args.ramp_s,
        "results": [r.summary() for b in (True, False) for r in runs[b][0]],
        "cold_start": cold,
        "minute_clip_s": {
            "batching_on": runs[True][1]["minute_clip_s"],
            "batching_off": runs[False][1]["minute_clip_s"],
        },
        "targets": {name: {"met": ok, "value": value} for name, ok, value in verdicts},
        "peer": peer_record,
    }
    atomic.write_json(RESULTS, record)
    console.print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
