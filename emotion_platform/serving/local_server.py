"""Starting ``bentoml serve`` on loopback and waiting until it is ready (tests, benchmark, CLI).

with local_server(env={"EMOTION_PLATFORM_SERVING_API_KEYS": "k"}) as url:
    httpx.post(f"{url}/classify_text", json={"utterances": ["hi"]}, headers={"X-API-Key": "k"})
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from emotion_platform.lib.errors import StepFailed

SERVICE = "emotion_platform.serving.service:EmotionClassifier"
HOST = "127.0.0.1"


class ServerFailed(StepFailed):
    """The server exited or did not become ready in time; carries the tail of its log."""


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"bentoml serve exited with {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200:
                return
        time.sleep(0.25)
    raise ServerFailed(f"not ready after {timeout_s:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@contextlib.contextmanager
def local_server(
    env: dict[str, str] | None = None,
    port: int | None = None,
    log: Path | None = None,
    target: str = SERVICE,
    cwd: Path | None = None,
    timeout_s: float = 180.0,
) -> Iterator[str]:
    """Run ``bentoml serve <target>`` on 127.0.0.1 until the block ends; yields its base URL."""
    port = port or free_port()
    log = log or Path(os.environ.get("TMPDIR", "/tmp")) / f"bentoml-serve-{port}.log"
    bentoml = Path(sys.executable).with_name("bentoml")
    command = [str(bentoml), "serve", target, "--host", HOST, "--port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, env=os.environ | (env or {}), stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
    url = f"http://{HOST}:{port}"
    try:
        wait_ready(url, process, log, timeout_s)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace_s: float = 20.0) -> None:
    """SIGTERM the server's process group (its workers too), then SIGKILL what is left."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _workers(port: int) -> list:
    """The worker processes of the ``bentoml serve`` on ``port`` (those holding its listening socket).

    BentoML's workers accept from one shared listening socket, which is how they are found here; a
    worker's own children are not workers. Needs psutil (the ``dev`` extra).
    """
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        if "_bentoml_impl.worker.service" not in " ".join(process.info["cmdline"] or []):
            continue
        try:
            mine = [c for c in process.net_connections("tcp") if c.laddr and c.laddr.port == port]
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(c.status == psutil.CONN_LISTEN for c in mine):
            found.append((process, mine))
    # A worker's child between fork and exec (ffmpeg, ffprobe) still has the worker's command line and socket.
    pids = {process.pid for process, _ in found}
    return [(process, mine) for process, mine in found if _parent_pid(process) not in pids]


def _parent_pid(process) -> int | None:
    import psutil

    try:
        return process.ppid()
    except psutil.NoSuchProcess:
        return None


def worker_pids(port: int) -> list[int]:
    """Process ids of the server's workers on ``port``."""
    return sorted(process.pid for process, _ in _workers(port))


def connections_per_worker(port: int) -> list[int]:
    """Established client connections each worker of the ``bentoml serve`` on ``port`` holds, busiest first
    (which worker takes a connection is a race)."""
    import psutil

    counts = [sum(c.status == psutil.CONN_ESTABLISHED for c in mine) for _, mine in _workers(port)]
    return sorted(counts, reverse=True)
