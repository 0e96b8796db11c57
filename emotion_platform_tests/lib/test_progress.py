"""Progress reports, the terminal reporter with and without a TTY, and the heartbeat."""

from __future__ import annotations

import io
import time

import pytest

from emotion_platform.lib.progress import (
    Heartbeat,
    Progress,
    ProgressUpdate,
    TerminalReporter,
    beat,
    current_reporters,
    duration,
    reporting_to,
)


def test_a_line_says_where_it_is_and_how_long_is_left() -> None:
    update = ProgressUpdate("epoch 1/5", 300, 600, "batches", 120.0, {"train_loss": 1.23456})
    assert update.eta_s == pytest.approx(120.0)
    assert update.line() == "epoch 1/5: 300/600 batches (50%), 2m00s elapsed, ~2m00s left, train_loss 1.2346"
    finished = ProgressUpdate("epoch 1/5", 600, 600, "batches", 3725.0, finished=True)
    assert finished.line() == "epoch 1/5: 600/600 batches (100%), done in 1h02m"
    assert ProgressUpdate("files", 0, None, "files", 1.0).eta_s is None
    assert duration(59.6) == "1m00s" and duration(5) == "5s"


def test_updates_are_throttled_but_start_and_end_always_reported() -> None:
    seen: list[ProgressUpdate] = []
    with Progress("work", 1000, "items", reporters=[seen.append], every_s=3600) as progress:
        for _ in range(1000):
            progress.advance(loss=0.5)
    assert [u.done for u in seen] == [0, 1000]  # the start and the end
    assert seen[-1].finished and seen[-1].metrics == {"loss": 0.5}


def test_every_step_is_reported_when_asked() -> None:
    seen: list[ProgressUpdate] = []
    with Progress("files", 3, "files", reporters=[seen.append], every_s=0.0) as progress:
        for name in ("a", "b", "c"):
            progress.advance(last=name)
    assert [(u.done, u.metrics.get("last")) for u in seen] == [(0, None), (1, "a"), (2, "b"), (3, "c"), (3, "c")]
    assert seen[3].line() == "files: 3/3 files (100%), 0s elapsed, last c"  # no "time left" once all are done


def test_without_a_terminal_the_reporter_writes_plain_lines() -> None:
    stream = io.StringIO()
    with Progress("transcripts", 2, "clips", reporters=[TerminalReporter(stream)], every_s=0.0) as progress:
        progress.advance()
        progress.advance()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("transcripts: 0/2 clips (0%)")
    assert lines[-1].startswith("transcripts: 2/2 clips (100%), done in")
    assert "\r" not in stream.getvalue()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_reporter_draws_a_bar() -> None:
    stream = FakeTerminal()
    with Progress("epoch 1/1", 4, "batches", reporters=[TerminalReporter(stream)], every_s=0.0) as progress:
        for _ in range(4):
            progress.advance(train_loss=0.7)
    drawn = stream.getvalue()
    assert "\r" in drawn and "epoch 1/1" in drawn and "4/4" in drawn and "train_loss=0.7" in drawn


def test_reports_go_where_the_caller_says_and_default_to_the_terminal() -> None:
    assert isinstance(current_reporters()[0], TerminalReporter)
    seen: list[ProgressUpdate] = []
    with reporting_to([seen.append]), Progress("inner", 1, every_s=0.0) as progress:
        progress.advance()
    assert [u.stage for u in seen] == ["inner"] * 3
    assert isinstance(current_reporters()[0], TerminalReporter)  # restored after the block


def test_the_heartbeat_warns_when_nothing_moves_and_not_while_work_goes_on() -> None:
    stalls: list[tuple[str, float]] = []
    heartbeat = Heartbeat(0.3, lambda stage, quiet: stalls.append((stage, quiet)), check_every_s=0.05)
    with reporting_to([], heartbeat):
        for _ in range(10):  # 0.5 s of steady progress
            beat("busy stage")
            time.sleep(0.05)
        assert stalls == []
        time.sleep(0.5)  # then silence
    assert stalls and stalls[0][0] == "busy stage" and stalls[0][1] >= 0.3
    assert not heartbeat._thread.is_alive()


def test_a_heartbeat_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="positive"):
        Heartbeat(0, lambda stage, quiet: None)


def test_progress_never_writes_to_stdout(capsys) -> None:
    """Machine-readable output (JSON on stdout) stays parseable: progress goes to stderr."""
    with Progress("work", 2, "items", every_s=0.0) as progress:
        progress.advance()
        progress.advance()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1].startswith("work: 2/2 items (100%), done in")
