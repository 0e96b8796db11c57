"""Serving throughput and latency through a real ``bentoml serve`` on 127.0.0.1, batching on and off.

Usage: .venv/bin/python bench/serving.py [--text-requests 10000] [--quick]

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
import json
import os
import secrets
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd  # noqa: E402
from machine import cpu_times, describe, steal_share  # noqa: E402  (bench/machine.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.lib import atomic  # noqa: E402
from emotion_platform.lib.media.ffmpeg import tool  # noqa: E402
from emotion_platform.lib.samples import librivox_clips  # noqa: E402
from emotion_platform.lib.tracking import ModelRegistry  # noqa: E402
from emotion_platform.serving.local_server import HOST, connections_per_worker, local_server  # noqa: E402
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results" / "serving.json"
CONCURRENCY = (1, 16, 64)


# --- a minimal keep-alive HTTP/1.1 client -----------------------------------------------------------

class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, path: str, body: bytes, content_type: str, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nX-API-Key: {key}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
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
            "throughput_rps": round(self.throughput, 2), "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1), "p99_ms": round(self.percentile(99), 1)}


async def drive(port: int, key: str, path: str, bodies: list[tuple[bytes, str]], concurrency: int, total: int,
                max_seconds: float, kind: str, batching: bool, ramp_s: float = 0.0) -> LoadResult:
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
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def minute_of_speech(dest: Path, seconds: float = 60.0) -> Path:
    """Real LibriVox speech, clips concatenated and repeated to ``seconds``."""
    clips = [c.path for c in librivox_clips()]
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in clips * 8))
    subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i",
                    str(listing), "-t", str(seconds), "-ac", "1", "-ar", "16000", str(dest)], check=True)
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
    bundle_dir = EmotionBundle(text, None, {"text": 1.0}).save(root / "bundle")
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
            raise SystemExit(f"no champion in {settings.tracking_uri}: train one (emotion-platform train) "
                             "or use --model minilm")
        return {}, f"the platform champion ({settings.registered_model}@champion)"
    uri, name = register_minilm_model(work / "mlflow")
    env = {"EMOTION_PLATFORM_MLFLOW_TRACKING_URI": uri, "EMOTION_PLATFORM_REGISTERED_MODEL": name}
    return env, "MiniLM-L6 encoder + seven-way head (same architecture and cost as the champion; untrained head)"


# --- the run --------------------------------------------------------------------------------------

def run_mode(batching: bool, args, env: dict[str, str], work: Path, texts: list[str], clip: Path,
             minute: Path) -> tuple[list[LoadResult], dict]:
    key = secrets.token_urlsafe(16)
    env = env | {"EMOTION_PLATFORM_SERVING_API_KEYS": key, "EMOTION_PLATFORM_SERVING_MODE": "production",
                 "EMOTION_PLATFORM_SERVING_TEXT_BATCHING": str(batching).lower(),
                 "BENTOML_HOME": str(work / "bentoml-home")}
    text_bodies = [(json.dumps({"utterances": [t]}).encode(), "application/json") for t in texts]
    media_body = [multipart(clip, clip.name)]
    results: list[LoadResult] = []
    log = work / f"server-batching-{batching}.log"
    with local_server(env=env, log=log) as url:
        port = int(url.rsplit(":", 1)[1])
        info = asyncio.run(Connection(port).request("/model_info", b"{}", "application/json", key))[1]
        model_info = json.loads(info)
        asyncio.run(drive(port, key, "/classify_text", text_bodies, 8, 200, 30, "warm-up", batching))
        asyncio.run(drive(port, key, "/classify_media", media_body, 1, 1, 60, "warm-up", batching))
        for c in CONCURRENCY:
            total = args.text_requests if c > 1 else min(args.text_requests, 1000)
            results.append(measured(url, key, drive(port, key, "/classify_text", text_bodies, c, total,
                                                    args.max_seconds, "text", batching, args.ramp_s)))
            print(f"  text c={c}: {results[-1].summary()}", flush=True)
        for c in CONCURRENCY:
            results.append(measured(url, key, drive(port, key, "/classify_media", media_body, c, max(c, 4),
                                                    args.max_seconds, "media", batching, args.ramp_s)))
            print(f"  media c={c}: {results[-1].summary()}", flush=True)
        minute_body, minute_type = multipart(minute, minute.name)
        times = cpu_times()
        minute_runs = [asyncio.run(classify_once(port, key, minute_body, minute_type))
                       for _ in range(args.minute_repeats)]
        stolen = steal_share(times, cpu_times())
    model_info["minute_clip_s"] = [seconds for seconds, _ in minute_runs]
    model_info["minute_clip_stages_s"] = [stages for _, stages in minute_runs]
    model_info["minute_clip_stolen"] = None if stolen is None else round(stolen, 3)
    print(f"  60 s clip: {minute_runs}; CPU time stolen meanwhile: {stolen if stolen is None else f'{stolen:.0%}'}",
          flush=True)
    return results, model_info


def cold_start(env: dict[str, str], work: Path, clip: Path, text: str, warm_repeats: int = 3) -> dict:
    """The first requests a fresh worker serves against warm ones: a one-worker server (so the first
    request surely lands on a new worker), timed from the moment it reports ready."""
    key = secrets.token_urlsafe(16)
    env = env | {"EMOTION_PLATFORM_SERVING_API_KEYS": key, "EMOTION_PLATFORM_SERVING_MODE": "production",
                 "EMOTION_PLATFORM_SERVING_WORKERS": "1", "BENTOML_HOME": str(work / "bentoml-home")}
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
        first = {"media": asyncio.run(timed("/classify_media", media_body, media_type)),
                 "text": asyncio.run(timed("/classify_text", text_body, "application/json"))}
        warm = {"media": [asyncio.run(timed("/classify_media", media_body, media_type)) for _ in range(warm_repeats)],
                "text": [asyncio.run(timed("/classify_text", text_body, "application/json"))
                         for _ in range(warm_repeats)]}
    rows = {}
    for kind in ("media", "text"):
        median = statistics.median(warm[kind])
        rows[kind] = {"first_ms": round(first[kind], 1), "warm_median_ms": round(median, 1),
                      "ratio": round(first[kind] / median, 2)}
        print(f"  cold start {kind}: first request {first[kind]:.0f} ms, warm median {median:.0f} ms "
              f"({rows[kind]['ratio']:.2f}x; target <= 2x)", flush=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text-requests", type=int, default=10_000, help="text requests per load level")
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time limit per load level")
    parser.add_argument("--minute-repeats", type=int, default=3)
    parser.add_argument("--model", choices=("auto", "champion", "minilm"), default="auto")
    parser.add_argument("--quick", action="store_true", help="1,000 text requests per level, one 60 s run")
    parser.add_argument("--ramp-s", type=float, default=0.5,
                        help="clients of a load level connect over this many seconds (0: all at once)")
    parser.add_argument("--workers", default="auto", help="server processes (EMOTION_PLATFORM_SERVING_WORKERS)")
    parser.add_argument("--cold-start-only", action="store_true",
                        help="only the first request of a fresh worker against warm ones")
    args = parser.parse_args()
    if args.quick:
        args.text_requests, args.minute_repeats = 1000, 1
    console = Console(width=150)
    machine_before = cpu_times()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        work = Path(tmp)
        env, model_line = model_env(args.model, work)
        env = env | {"EMOTION_PLATFORM_SERVING_WORKERS": args.workers}
        texts = meld_utterances()
        clip = librivox_clips()[0].path
        console.print("[bold]cold start[/bold]: a fresh one-worker server, its first requests against warm ones")
        cold = cold_start(env, work, clip, texts[0])
        if args.cold_start_only:
            return
        minute = minute_of_speech(work / "minute.wav")
        runs = {}
        for batching in (True, False):
            console.print(f"[bold]batching {'on' if batching else 'off'}[/bold]: starting the server ...")
            runs[batching] = run_mode(batching, args, env, work, texts, clip, minute)
    info = runs[True][1]
    console.print(f"model: {model_line}; serving version {info['version']} on {info['device']} ({info['precision']}); "
                  f"transcriber {info['transcriber']['backend']} {info['transcriber']['model']} on "
                  f"{info['transcriber']['device']}; {info['workers']} workers x {info['torch_threads']} torch "
                  "threads; "
                  f"clients connect over {args.ramp_s} s; {describe(machine_before)}")
    table = Table(title="bench/serving.py: /classify_text (1 utterance per request) and /classify_media "
                        f"({clip.name}), batching on vs off (baseline)")
    for col in ("API", "batching", "conc.", "requests", "ok/s", "p50 ms", "p95 ms", "p99 ms", "4xx", "5xx",
                "conn. err", "conns/worker", "moved", "stolen", "ok/s vs off"):
        table.add_column(col, justify="right")
    baseline = {(r.kind, r.concurrency): r for r in runs[False][0]}
    for batching in (True, False):
        for r in runs[batching][0]:
            s = r.summary()
            ratio = r.throughput / baseline[(r.kind, r.concurrency)].throughput \
                if baseline[(r.kind, r.concurrency)].throughput else float("nan")
            table.add_row(r.kind, "on" if batching else "off", str(r.concurrency), str(r.requests),
                          f"{s['throughput_rps']:.1f}", f"{s['p50_ms']:.0f}", f"{s['p95_ms']:.0f}",
                          f"{s['p99_ms']:.0f}", str(r.client_errors), str(r.server_errors),
                          str(r.connection_errors), "/".join(map(str, r.worker_connections)) or "-",
                          str(r.rebalanced), f"{r.stolen:.0%}" if r.stolen is not None else "-", f"{ratio:.2f}x")
    console.print(table)
    text16 = next(r for r in runs[True][0] if r.kind == "text" and r.concurrency == 16)
    minute_s = [s for s in runs[True][1]["minute_clip_s"] + runs[False][1]["minute_clip_s"] if s is not None]
    verdicts = [
        ("text c=16 p95 <= 100 ms", text16.percentile(95) <= 100, f"{text16.percentile(95):.0f} ms"),
        ("text c=16 >= 250 requests/s", text16.throughput >= 250, f"{text16.throughput:.0f} /s"),
        (f"text c=16 0 server errors over {text16.requests} requests (target 10,000)",
         text16.server_errors == 0 and text16.connection_errors == 0 and text16.requests >= 10_000,
         f"{text16.server_errors} 5xx, {text16.connection_errors} connection errors"),
        ("60 s clip classified in <= 6 s", bool(minute_s) and max(minute_s) <= 6.0, f"{minute_s} s"),
        *((f"first {kind} request of a fresh worker <= 2x a warm one", row["ratio"] <= 2.0,
           f"{row['first_ms']:.0f} ms vs {row['warm_median_ms']:.0f} ms, {row['ratio']:.2f}x")
          for kind, row in cold.items()),
    ]
    for name, ok, value in verdicts:
        console.print(f"target {name}: {'met' if ok else 'NOT met'} ({value})")
    record = {"model": model_line, "model_info": runs[True][1], "cpu_count": os.cpu_count(), "ramp_s": args.ramp_s,
              "results": [r.summary() for b in (True, False) for r in runs[b][0]],
              "cold_start": cold,
              "minute_clip_s": {"batching_on": runs[True][1]["minute_clip_s"],
                                "batching_off": runs[False][1]["minute_clip_s"]},
              "targets": {name: {"met": ok, "value": value} for name, ok, value in verdicts}}
    atomic.write_json(RESULTS, record)
    console.print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
