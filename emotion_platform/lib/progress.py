"""Progress of long work: where it is, how long it has run, how long is left, and a heartbeat.

    with Progress("epoch 1/5", total=len(batches), unit="batches") as progress:
        for batch in batches:
            ...
            progress.advance(loss=float(loss))

A :class:`Progress` sends a :class:`ProgressUpdate` to each reporter at most every ``every_s``
seconds (and always at the start and the end), so reporting costs nothing measurable however fast
the loop runs. Library code only counts; the caller decides where reports go, for everything run
inside a :func:`reporting_to` block (an asset sends them to the Dagster run log, a CLI to the
terminal). Outside any such block they go to a :class:`TerminalReporter`: a tqdm bar when stderr
is a terminal, plain lines otherwise (a log file or a pipe stays readable line by line).

A :class:`Heartbeat` (given to :func:`reporting_to`) watches from a background thread: every
progress step beats it, and when nothing has advanced for ``stall_after_s`` it calls ``on_stall``
(e.g. a warning in the run log), again every further ``stall_after_s`` while the stall lasts, so a
hung run is visible rather than silent.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TextIO

from tqdm import tqdm

from emotion_platform.lib.logs import is_structured

_log = logging.getLogger("emotion_platform.progress")


def duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``3725`` -> ``1h02m``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@dataclass(frozen=True)
class ProgressUpdate:
    """One report: ``done`` of ``total`` ``unit`` in ``stage`` after ``elapsed_s``, with the latest metrics."""

    stage: str
    done: int
    total: int | None
    unit: str
    elapsed_s: float
    metrics: dict[str, float | str] = field(default_factory=dict)
    finished: bool = False

    @property
    def eta_s(self) -> float | None:
        """Time left at the rate so far (None before the first step or without a total)."""
        if not self.total or self.done <= 0:
            return None
        return self.elapsed_s / self.done * max(0, self.total - self.done)

    def line(self) -> str:
        """One human-readable line, e.g.
        ``epoch 1/5: 300/625 batches (48%), 2m10s elapsed, ~2m21s left, train_loss 1.2345``."""
        count = f"{self.done}/{self.total}" if self.total else str(self.done)
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        parts = [f"{self.stage}: {count} {self.unit}{share}", f"{duration(self.elapsed_s)} elapsed"]
        if self.finished:
            parts[-1] = f"done in {duration(self.elapsed_s)}"
        elif self.eta_s is not None and self.done < (self.total or 0):
            parts.append(f"~{duration(self.eta_s)} left")
        parts += [f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in self.metrics.items()]
        return ", ".join(parts)


Reporter = Callable[[ProgressUpdate], None]


class Progress:
    """Counts steps of one stage and reports them (see the module docstring)."""

    def __init__(
        self,
        stage: str,
        total: int | None,
        unit: str = "steps",
        reporters: Iterable[Reporter] | None = None,
        every_s: float = 10.0,
    ):
        self.stage, self.total, self.unit = stage, total, unit
        self.reporters = list(reporters) if reporters is not None else current_reporters()
        self.every_s = every_s
        self.done = 0
        self.metrics: dict[str, float | str] = {}
        self.started = time.monotonic()
        self._last_report = float("-inf")

    def __enter__(self) -> Progress:
        self._report(force=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._report(force=True, finished=True)

    def advance(self, steps: int = 1, **metrics: float | str) -> None:
        self.done += steps
        self.metrics.update(metrics)
        beat(self.stage)
        self._report()

    def _report(self, force: bool = False, finished: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_report < self.every_s:
            return
        self._last_report = now
        update = ProgressUpdate(
            self.stage, self.done, self.total, self.unit, now - self.started, dict(self.metrics), finished
        )
        for report in self.reporters:
            report(update)


class TerminalReporter:
    """A tqdm bar per stage on a terminal; plain lines (``ProgressUpdate.line``) anywhere else."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._bars: dict[str, tqdm] = {}

    def __call__(self, update: ProgressUpdate) -> None:
        if not self.interactive and is_structured():
            _log.info(
                update.line(),
                extra={"stage": update.stage, "done": update.done, "total": update.total, "unit": update.unit},
            )
            return
        if not self.interactive:
            print(update.line(), file=self.stream, flush=True)
            return
        bar = self._bars.get(update.stage)
        if bar is None:
            bar = self._bars[update.stage] = tqdm(
                total=update.total,
                desc=update.stage,
                unit=update.unit[:-1] if update.unit.endswith("s") else update.unit,
                file=self.stream,
            )
        bar.update(update.done - bar.n)
        if update.metrics:
            bar.set_postfix({k: round(v, 4) if isinstance(v, float) else v for k, v in update.metrics.items()})
        if update.finished:
            bar.close()
            del self._bars[update.stage]


class Heartbeat:
    """Calls ``on_stall(stage, seconds_without_progress)`` when no :meth:`beat` came for ``stall_after_s``."""

    def __init__(
        self, stall_after_s: float, on_stall: Callable[[str, float], None], check_every_s: float | None = None
    ):
        if stall_after_s <= 0:
            raise ValueError(f"stall_after_s must be positive, not {stall_after_s}")
        self.stall_after_s = stall_after_s
        self.on_stall = on_stall
        self.check_every_s = check_every_s or min(5.0, stall_after_s / 4)
        self.stage = "starting"
        self._last_beat = self._last_warning = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="progress-heartbeat", daemon=True)

    def beat(self, stage: str | None = None) -> None:
        if stage is not None:
            self.stage = stage
        self._last_beat = time.monotonic()

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.check_every_s):
            now = time.monotonic()
            quiet = now - self._last_beat
            if quiet >= self.stall_after_s and now - max(self._last_warning, self._last_beat) >= self.stall_after_s:
                self._last_warning = now
                self.on_stall(self.stage, quiet)


_REPORTING: ContextVar[tuple[list[Reporter], Heartbeat | None] | None] = ContextVar("progress_reporting", default=None)


@contextmanager
def reporting_to(reporters: Iterable[Reporter], heartbeat: Heartbeat | None = None) -> Iterator[None]:
    """Within the block, progress goes to ``reporters`` and beats ``heartbeat`` (started and stopped here)."""
    token = _REPORTING.set((list(reporters), heartbeat))
    try:
        if heartbeat is None:
            yield
        else:
            with heartbeat:
                yield
    finally:
        _REPORTING.reset(token)


def current_reporters() -> list[Reporter]:
    """Where progress goes here: the enclosing :func:`reporting_to`'s reporters, else the terminal."""
    active = _REPORTING.get()
    return list(active[0]) if active is not None else [TerminalReporter()]


def enclosing_reporters() -> list[Reporter]:
    """The reporters of an enclosing :func:`reporting_to` block only (no terminal default): for code
    that runs both in jobs that follow it and in requests no one watches."""
    active = _REPORTING.get()
    return list(active[0]) if active is not None else []


def beat(stage: str | None = None) -> None:
    """Tell the enclosing heartbeat (if any) that work moved on, optionally naming the stage now running."""
    active = _REPORTING.get()
    if active is not None and active[1] is not None:
        active[1].beat(stage)
