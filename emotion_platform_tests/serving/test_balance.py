"""Connection balancing across workers: the shared board, the active-connection window, the middleware."""

from __future__ import annotations

import asyncio

import pytest

from emotion_platform.serving import balance
from emotion_platform.serving.balance import ActiveConnections, ConnectionBalancer, LoadBoard


def boards(tmp_path, workers: int = 2) -> list[LoadBoard]:
    return [LoadBoard(tmp_path / balance.BOARD_FILE, slot, workers) for slot in range(workers)]


def test_workers_see_each_others_counts_through_the_shared_file(tmp_path) -> None:
    first, second, third = boards(tmp_path, 3)
    first.publish(5, 100.0)
    third.publish(2, 100.0)
    assert second.others(100.5) == [5, 2]
    assert first.others(100.5) == [0, 2]


def test_a_worker_silent_for_the_window_counts_as_holding_nothing(tmp_path) -> None:
    first, second = boards(tmp_path)
    first.publish(7, 100.0)
    assert second.others(100.0 + balance.WINDOW_S + 0.01) == [0]


def test_a_slot_outside_the_board_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="outside"):
        LoadBoard(tmp_path / "board", 2, 2)


def test_active_connections_are_those_heard_from_within_the_window() -> None:
    active = ActiveConnections()
    assert active.touch(("10.0.0.1", 5000), 0.0) == 1
    assert active.touch(("10.0.0.1", 5001), 0.5) == 2
    assert active.touch(("10.0.0.1", 5000), 0.9) == 2
    assert active.touch(("10.0.0.2", 6000), 0.9 + balance.WINDOW_S + 0.01) == 1  # the others went quiet
    active.forget(("10.0.0.2", 6000))
    assert active.touch(("10.0.0.3", 7000), 2.0) == 1


async def ok_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def call(middleware: ConnectionBalancer, port: int, path: str = "/classify_text") -> dict[bytes, bytes]:
    sent = []

    async def send(message) -> None:
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "path": path, "method": "POST", "headers": [], "client": ("127.0.0.1", port)}
    asyncio.run(middleware(scope, receive, send))
    return dict(sent[0]["headers"])


@pytest.fixture()
def no_metrics(monkeypatch) -> None:
    monkeypatch.setattr(ConnectionBalancer, "on_close", lambda self: None)


def test_the_busier_worker_closes_one_connection_then_waits(tmp_path, monkeypatch, no_metrics) -> None:
    mine, other = boards(tmp_path)
    clock = [1000.0]
    monkeypatch.setattr(balance.time, "monotonic", lambda: clock[0])
    other.publish(0, clock[0])
    middleware = ConnectionBalancer(ok_app, workers=2, board=mine)
    assert b"connection" not in call(middleware, 1)  # 1 vs 0: even enough
    headers = call(middleware, 2)  # 2 vs 0: close this one
    assert headers[b"connection"] == b"close" and headers[b"content-type"] == b"text/plain"
    assert middleware.closed == 1 and mine.others(clock[0]) == [0]
    assert b"connection" not in call(middleware, 3)  # still cooling down
    clock[0] += balance.COOLDOWN_S
    assert call(middleware, 4)[b"connection"] == b"close"


def test_an_even_split_closes_nothing(tmp_path, monkeypatch, no_metrics) -> None:
    mine, other = boards(tmp_path)
    monkeypatch.setattr(balance.time, "monotonic", lambda: 1000.0)
    other.publish(8, 1000.0)
    middleware = ConnectionBalancer(ok_app, workers=2, board=mine)
    for port in range(9):
        assert b"connection" not in call(middleware, port)
    assert middleware.closed == 0


def test_health_checks_and_a_single_worker_are_left_alone(tmp_path, monkeypatch, no_metrics) -> None:
    mine, other = boards(tmp_path)
    middleware = ConnectionBalancer(ok_app, workers=2, skip_paths=frozenset({"/livez"}), board=mine)
    for port in range(5):
        assert b"connection" not in call(middleware, port, "/livez")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    single = ConnectionBalancer(ok_app, workers=1)
    for port in range(5):
        assert b"connection" not in call(single, port)
    assert single.board is None
