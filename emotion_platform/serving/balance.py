"""Keep-alive connections spread evenly over the service's workers.

BentoML's workers accept from one shared listening socket, and which worker takes a new connection
is a race. With a few long-lived keep-alive clients (an upstream service's connection pool, a load
generator) one worker can end up holding most of them while another idles (docs/serving.md has
the measurements).

Each worker counts the client connections it answered in the last second and publishes the count
on a :class:`LoadBoard`, a small file the server's workers share. A worker holding at least
:data:`IMBALANCE` more than the least-loaded worker answers one request with
``Connection: close``; the client reconnects, and the new connection goes to whichever worker
accepts first. Counts converge to an even split; a balanced server closes nothing.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

# A connection counts as active while it sent a request within this window (seconds).
WINDOW_S = 1.0
# Close a connection when this worker holds at least this many more than the least-loaded worker.
IMBALANCE = 2
# After closing one, wait this long, so the reconnect shows up in the counts before the next.
COOLDOWN_S = 0.1
BOARD_FILE = "emotion_worker_connections.bin"
_SLOT = struct.Struct("<qd")  # active connections, time.monotonic() of the update


class LoadBoard:
    """Active-connection counts of the server's workers, one slot per worker, in a shared file.

    Each worker writes only its own slot; a slot not updated within :data:`WINDOW_S` reads as 0
    (its worker answered nothing in that time). ``time.monotonic`` is system-wide on Linux, so
    the workers' times compare.
    """

    def __init__(self, path: Path, slot: int, slots: int) -> None:
        if not 0 <= slot < slots:
            raise ValueError(f"slot {slot} is outside 0..{slots - 1}")
        self.slot, self.slots = slot, slots
        size = slots * _SLOT.size
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.publish(0, time.monotonic())

    def publish(self, active: int, now: float) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, active, now)

    def others(self, now: float) -> list[int]:
        """The other workers' active connections (0 for a worker silent for the last window)."""
        counts = []
        for slot in range(self.slots):
            if slot != self.slot:
                active, updated = _SLOT.unpack_from(self._map, slot * _SLOT.size)
                counts.append(active if now - updated <= WINDOW_S else 0)
        return counts


class ActiveConnections:
    """Client connections (peer address and port) that sent a request within the last window."""

    def __init__(self) -> None:
        self._last_seen: dict[tuple, float] = {}

    def touch(self, client: tuple, now: float) -> int:
        """Record a request from ``client``; the number of active connections."""
        self._last_seen[client] = now
        stale = [c for c, seen in self._last_seen.items() if now - seen > WINDOW_S]
        for c in stale:
            del self._last_seen[c]
        return len(self._last_seen)

    def forget(self, client: tuple) -> None:
        self._last_seen.pop(client, None)


def board_from_environment(workers: int) -> LoadBoard | None:
    """This worker's board, in the directory BentoML gives the workers of one server (its Prometheus
    multiprocess directory, emptied at every start); None with a single worker or outside a server."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if workers < 2 or not directory:
        return None
    import bentoml

    index = bentoml.server_context.worker_index
    if index is None:
        return None
    return LoadBoard(Path(directory) / BOARD_FILE, int(index) - 1, workers)


class ConnectionBalancer:
    """ASGI middleware: answers with ``Connection: close`` where that evens out the workers' connections."""

    def __init__(
        self, app: ASGIApp, workers: int = 1, skip_paths: frozenset[str] = frozenset(), board: LoadBoard | None = None
    ) -> None:
        self.app = app
        self.workers = workers
        self.skip_paths = skip_paths
        self._board = board
        self._board_checked = board is not None
        self.connections = ActiveConnections()
        self.last_close = float("-inf")
        self.closed = 0

    @property
    def board(self) -> LoadBoard | None:
        # Made at the first request: the worker index is set once the worker has started.
        if not self._board_checked:
            self._board_checked = True
            self._board = board_from_environment(self.workers)
            if self._board is not None:
                logger.info(
                    "balancing keep-alive connections over %d workers (this is slot %d)", self.workers, self._board.slot
                )
        return self._board

    def on_close(self) -> None:
        from emotion_platform.serving.metrics import service_metrics

        service_metrics().rebalanced_connections.inc()

    def should_close(self, active: int, now: float) -> bool:
        board = self.board
        assert board is not None  # __call__ passes requests through when there is no board
        others = board.others(now)
        return bool(others) and now - self.last_close >= COOLDOWN_S and active - min(others) >= IMBALANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None or scope["path"] in self.skip_paths or self.board is None:
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        client = tuple(client)
        active = self.connections.touch(client, now)
        self.board.publish(active, now)
        if not self.should_close(active, now):
            await self.app(scope, receive, send)
            return
        self.last_close = now
        self.closed += 1
        self.on_close()
        self.connections.forget(client)
        self.board.publish(active - 1, now)

        async def send_with_close(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_with_close)
