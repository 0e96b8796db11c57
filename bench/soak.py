"""Soak: minutes of mixed text and media requests against a real ``bentoml serve``, watching each
worker's memory.

Usage: .venv/bin/python bench/soak.py [--minutes 10] [--concurrency 32] [--media-every 20]
                                      [--warmup-s 180] [--sample-s 5] [--model auto|champion|minilm]

It starts the service as bench/serving.py does (default worker count, the model ``model_env``
picks, the rate limiter on at 1,000,000/second so it runs but never refuses) and keeps
``--concurrency`` keep-alive clients busy for ``--minutes``: every ``--media-every``-th request
uploads a short real LibriVox clip to ``/classify_media``, the others classify one real MELD
utterance with ``/classify_text``. Every ``--sample-s`` seconds it reads each worker's resident
memory (psutil, the workers found by ``worker_pids(port)``).

It prints requests and status counts by kind, server errors (5xx and dropped connections), p50,
p95 and p99 latency by kind, a per-minute table (requests, text p95, each worker's RSS), and each
worker's growth: its RSS at the end over its RSS right after the warm-up (the first
``--warmup-s`` seconds of load). Results go to bench/results/soak.json.

Targets: 0 server errors; each worker's RSS at the end <= 1.05x its RSS after warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from machine import cpu_times, describe  # bench/machine.py
from rich.console import Console
from rich.table import Table
from serving import Connection, meld_utterances, model_env, multipart, service_env, text_bodies  # bench/serving.py

from emotion_platform.lib import atomic
from emotion_platform.lib.samples import librivox_clips
from emotion_platform.serving.local_server import local_server, worker_pids
from emotion_platform.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results" / "soak.json"
GROWTH_TARGET = 1.05
MB = 1024 * 1024


# --- what the load records ------------------------------------------------------------------------


@dataclass
class KindLoad:
    """Requests of one kind (text or media): status counts, dropped connections, (time, latency) of each."""

    kind: str
    statuses: Counter = field(default_factory=Counter)
    dropped: int = 0
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, ms), 2xx only

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.dropped

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500) + self.dropped

    def percentiles(self, since: float = 0.0, until: float = float("inf")) -> dict[str, float]:
        values = [ms for t, ms in self.latencies if since <= t < until]
        if len(values) < 2:
            return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return {"p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1), "p99_ms": round(cuts[98], 1)}

    def count(self, since: float, until: float) -> int:
        return sum(since <= t < until for t, _ in self.latencies)

    def summary(self) -> dict:
        return {
            "kind": self.kind,
            "requests": self.requests,
            "ok": len(self.latencies),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "dropped": self.dropped,
            "server_errors": self.server_errors,
            **self.percentiles(),
        }


@dataclass
class MemorySample:
    t: float  # seconds since the load started
    rss_mb: dict[int, float]  # worker pid -> resident memory


# --- the load -------------------------------------------------------------------------------------


def worker_rss(port: int) -> dict[int, float]:
    """Resident memory (MiB) of each worker of the server on ``port``, by process id."""
    import psutil

    rss = {}
    for pid in worker_pids(port):
        try:
            rss[pid] = psutil.Process(pid).memory_info().rss / MB
        except psutil.NoSuchProcess:
            continue
    return rss


async def soak(
    port: int, key: str, text: list[tuple[bytes, str]], media: tuple[bytes, str], args
) -> tuple[dict[str, KindLoad], list[MemorySample], float]:
    """``args.concurrency`` clients for ``args.minutes``; every ``args.media_every``-th request is media.
    Returns the load by kind, the memory samples and the seconds the load lasted."""
    loads = {"text": KindLoad("text"), "media": KindLoad("media")}
    samples: list[MemorySample] = []
    started = time.perf_counter()
    deadline = started + args.minutes * 60
    counter = iter(range(10**12))

    async def client(index: int) -> None:
        await asyncio.sleep(index * args.ramp_s / args.concurrency)
        connection = Connection(port)
        try:
            while time.perf_counter() < deadline:
                i = next(counter)
                kind = "media" if args.media_every and i % args.media_every == args.media_every - 1 else "text"
                path, (body, content_type) = (
                    ("/classify_media", media) if kind == "media" else ("/classify_text", text[i % len(text)])
                )
                sent = time.perf_counter()
                try:
                    status, _ = await connection.request(path, body, content_type, key)
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    loads[kind].dropped += 1
                    await connection.close()
                    continue
                loads[kind].statuses[status] += 1
                if status < 300:
                    loads[kind].latencies.append((sent - started, (time.perf_counter() - sent) * 1000))
        finally:
            await connection.close()

    async def sample_memory() -> None:
        while True:
            t = time.perf_counter() - started
            samples.append(MemorySample(t, await asyncio.to_thread(worker_rss, port)))
            await asyncio.sleep(args.sample_s)

    sampling = asyncio.create_task(sample_memory())
    await asyncio.gather(*(client(i) for i in range(args.concurrency)))
    seconds = time.perf_counter() - started
    sampling.cancel()
    samples.append(MemorySample(seconds, await asyncio.to_thread(worker_rss, port)))  # the end
    return loads, samples, seconds


def log_problems(log: Path) -> list[str]:
    """Lines of the server's log that report an error (the log goes away with the work folder)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line[:300] for line in lines if any(word in line for word in ("ERROR", "CRITICAL", "Traceback"))]


# --- the report -----------------------------------------------------------------------------------


def growth(samples: list[MemorySample], warmup_s: float) -> dict[int, dict]:
    """Each worker's RSS after the warm-up (its first sample at or after ``warmup_s``), at the end,
    its peak, and end / after warm-up."""
    pids = sorted({pid for s in samples for pid in s.rss_mb})
    rows = {}
    for pid in pids:
        seen = [(s.t, s.rss_mb[pid]) for s in samples if pid in s.rss_mb]
        after_warmup = next((mb for t, mb in seen if t >= warmup_s), seen[-1][1])
        end = seen[-1][1]
        rows[pid] = {
            "first_seen_s": round(seen[0][0], 1),
            "last_seen_s": round(seen[-1][0], 1),
            "rss_start_mb": round(seen[0][1], 1),
            "rss_after_warmup_mb": round(after_warmup, 1),
            "rss_end_mb": round(end, 1),
            "rss_peak_mb": round(max(mb for _, mb in seen), 1),
            "growth": round(end / after_warmup, 3),
        }
    return rows


def minute_rows(
    loads: dict[str, KindLoad], samples: list[MemorySample], seconds: float, pids: list[int], step_s: float = 60.0
) -> list[dict]:
    """Per ``step_s`` interval: requests of each kind that succeeded, text p95, each worker's last RSS
    (the requests still in flight at the end fall into the last interval)."""
    rows = []
    intervals = max(1, round(seconds / step_s))
    for i in range(intervals):
        start, end = i * step_s, (i + 1) * step_s if i < intervals - 1 else seconds + 1
        last = [s for s in samples if s.t < end][-1]
        rows.append(
            {
                "from_s": round(start),
                "to_s": round(min(end, seconds)),
                "text_ok": loads["text"].count(start, end),
                "media_ok": loads["media"].count(start, end),
                "text_p95_ms": loads["text"].percentiles(start, end)["p95_ms"],
                "media_p95_ms": loads["media"].percentiles(start, end)["p95_ms"],
                "rss_mb": {pid: round(last.rss_mb[pid], 1) if pid in last.rss_mb else None for pid in pids},
            }
        )
    return rows


def print_report(
    console: Console,
    loads: dict[str, KindLoad],
    minutes: list[dict],
    grown: dict[int, dict],
    seconds: float,
    clip: Path,
    args,
) -> list[tuple[str, bool, str]]:
    mix = (
        f"1 in {args.media_every} requests media ({clip.name}), the rest one MELD utterance"
        if args.media_every
        else "text only (one MELD utterance per request)"
    )
    table = Table(title=f"bench/soak.py: {seconds / 60:.1f} min at concurrency {args.concurrency}, {mix}")
    for col in ("kind", "requests", "ok/s", "statuses", "dropped conn.", "server errors", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(col, justify="right")
    for load in loads.values():
        s = load.summary()
        table.add_row(
            load.kind,
            str(load.requests),
            f"{len(load.latencies) / seconds:.1f}",
            ", ".join(f"{k}: {v}" for k, v in s["statuses"].items()) or "-",
            str(load.dropped),
            str(load.server_errors),
            f"{s['p50_ms']:.0f}",
            f"{s['p95_ms']:.0f}",
            f"{s['p99_ms']:.0f}",
        )
    console.print(table)

    pids = list(grown)
    table = Table(
        title="per minute: requests answered, p95, and each worker's resident memory (MiB) at the end of the minute"
    )
    for col in ("minute", "text ok", "media ok", "text p95 ms", "media p95 ms", *(f"worker {pid} RSS" for pid in pids)):
        table.add_column(col, justify="right")
    for row in minutes:
        table.add_row(
            f"{row['from_s'] / 60:.0f}-{row['to_s'] / 60:.0f}",
            str(row["text_ok"]),
            str(row["media_ok"]),
            f"{row['text_p95_ms']:.0f}",
            f"{row['media_p95_ms']:.0f}",
            *(f"{row['rss_mb'][pid]:.0f}" if row["rss_mb"][pid] is not None else "-" for pid in pids),
        )
    console.print(table)

    table = Table(title=f"worker resident memory (MiB): after the {args.warmup_s:.0f} s warm-up vs the end")
    for col in ("worker", "seen from-to s", "at start", "after warm-up", "peak", "end", "end / after warm-up"):
        table.add_column(col, justify="right")
    for pid, row in grown.items():
        table.add_row(
            str(pid),
            f"{row['first_seen_s']:.0f}-{row['last_seen_s']:.0f}",
            f"{row['rss_start_mb']:.0f}",
            f"{row['rss_after_warmup_mb']:.0f}",
            f"{row['rss_peak_mb']:.0f}",
            f"{row['rss_end_mb']:.0f}",
            f"{row['growth']:.3f}x",
        )
    console.print(table)

    errors = sum(load.server_errors for load in loads.values())
    restarted = [
        pid
        for pid, row in grown.items()
        if row["last_seen_s"] < seconds - args.sample_s * 2 or row["first_seen_s"] > args.sample_s * 2
    ]
    worst = max(row["growth"] for row in grown.values())
    return [
        (
            "0 server errors (5xx and dropped connections)",
            errors == 0,
            f"{errors} over {sum(load.requests for load in loads.values())} requests",
        ),
        ("no worker restarted", not restarted, f"workers seen only part of the time: {restarted or 'none'}"),
        (
            f"each worker's RSS at the end <= {GROWTH_TARGET}x its RSS after warm-up",
            worst <= GROWTH_TARGET,
            ", ".join(f"{pid}: {row['growth']:.3f}x" for pid, row in grown.items()),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--media-every", type=int, default=20, help="every n-th request uploads media (1: only media, 0: only text)"
    )
    parser.add_argument(
        "--warmup-s",
        type=float,
        default=180.0,
        help="growth is measured from this point on (the shape set fills first)",
    )
    parser.add_argument("--sample-s", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--ramp-s", type=float, default=0.5, help="the clients connect over this many seconds")
    parser.add_argument("--model", choices=("auto", "champion", "minilm"), default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of the server (repeatable), e.g. to find what grows",
    )
    args = parser.parse_args()
    console = Console(width=150)
    machine_before = cpu_times()
    clip = min((c.path for c in librivox_clips()), key=lambda p: p.stat().st_size)  # the shortest
    texts = text_bodies(meld_utterances())
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        work = Path(tmp)
        env, model_line = model_env(args.model, work)
        key = secrets.token_urlsafe(16)
        extra = dict(item.split("=", 1) for item in args.server_env)
        with local_server(env=service_env(env, work, key) | extra, log=work / "server.log") as url:
            port = int(url.rsplit(":", 1)[1])
            info = json.loads(asyncio.run(Connection(port).request("/model_info", b"{}", "application/json", key))[1])
            console.print(
                f"soak: {args.minutes:g} min against {url} ({info['workers']} workers, pids {worker_pids(port)}) ..."
            )
            loads, samples, seconds = asyncio.run(soak(port, key, texts, multipart(clip, clip.name), args))
        problems = log_problems(work / "server.log")
    grown = growth(samples, args.warmup_s)
    minutes = minute_rows(loads, samples, seconds, list(grown))
    console.print(
        f"model: {model_line}; version {info['version']} on {info['device']} ({info['precision']}); "
        f"{info['workers']} workers x {info['torch_threads']} torch threads; transcriber "
        f"{info['transcriber']['backend']} {info['transcriber']['model']}; {describe(machine_before)}"
    )
    verdicts = print_report(console, loads, minutes, grown, seconds, clip, args)
    console.print(
        f"server log: {len(problems)} lines with ERROR, CRITICAL or Traceback"
        + "".join(f"\n  {line}" for line in problems[:20])
    )
    for name, ok, value in verdicts:
        console.print(f"target {name}: {'PASS' if ok else 'FAIL'} ({value})")
    atomic.write_json(
        args.out,
        {
            "model": model_line,
            "model_info": info,
            "settings": {k: str(v) for k, v in vars(args).items()},
            "seconds": round(seconds, 1),
            "clip": clip.name,
            "loads": [load.summary() for load in loads.values()],
            "per_minute": minutes,
            "workers": {str(pid): row for pid, row in grown.items()},
            "memory_samples": [
                {"t": round(s.t, 1), "rss_mb": {str(p): round(mb, 1) for p, mb in s.rss_mb.items()}} for s in samples
            ],
            "server_log_problems": problems[:200],
            "targets": {name: {"pass": ok, "value": value} for name, ok, value in verdicts},
        },
    )
    console.print(f"written: {args.out}")


if __name__ == "__main__":
    main()
