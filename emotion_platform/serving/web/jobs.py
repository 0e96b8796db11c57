"""Running analyses in the background of a service worker, and picking up those a dead worker left.

A job is a row of :mod:`~emotion_platform.serving.web.history` in state ``queued``. Any worker may
claim it (an atomic ``UPDATE ... WHERE status = 'queued'``), runs it on a thread of its own pool,
and writes its stage and progress into the row as it goes, so the page shows the same progress from
whichever worker answers and after a reload. When a worker starts it runs :meth:`JobRunner.recover`:
jobs still queued, and running jobs whose worker process is gone (same host) or silent for
``stale_after_s`` (another host), are queued again, at most ``max_attempts`` times each.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from emotion_platform.lib.errors import MediaRejected, StorageFull
from emotion_platform.lib.logs import log_context
from emotion_platform.lib.progress import ProgressUpdate, reporting_to
from emotion_platform.lib.recovery import process_alive
from emotion_platform.serving.media import STAGE_SPANS
from emotion_platform.serving.web.history import QUEUED, RUNNING, Analysis, HistoryStore

logger = logging.getLogger(__name__)

# What a job runs: the analysis row in, (result, model description) out; MediaRejected for bad input.
Analyse = Callable[[Analysis], tuple[dict, dict]]


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker: str | None, now: dt.datetime, updated_at: dt.datetime, stale_after_s: float) -> bool:
    """Whether the worker that claimed a running job can no longer finish it."""
    if not worker:
        return True
    host, _, pid = worker.rpartition(":")
    if host == socket.gethostname():
        return not process_alive(int(pid))
    return (now - updated_at).total_seconds() > stale_after_s


def overall_fraction(update: ProgressUpdate) -> float:
    """Where an analysis stands overall: the stage's span (:data:`STAGE_SPANS`) times the stage's own share."""
    start, end = STAGE_SPANS.get(update.stage, (0.0, 1.0))
    within = update.done / update.total if update.total else 0.0
    return start + (end - start) * min(1.0, within)


class JobRunner:
    """A small pool of analysis threads in one worker process."""

    def __init__(
        self,
        store: HistoryStore,
        analyse: Analyse,
        threads: int = 1,
        max_attempts: int = 2,
        stale_after_s: float = 900.0,
    ) -> None:
        self.store = store
        self.analyse = analyse
        self.max_attempts = max_attempts
        self.stale_after_s = stale_after_s
        self.worker = this_worker()
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="analysis")

    def submit(self, analysis_id: str) -> Future:
        return self.pool.submit(self.run, analysis_id)

    def run(self, analysis_id: str) -> None:
        """Claim and run one job (nothing happens when another worker claimed it first)."""
        if not self.store.claim(analysis_id, self.worker):
            return
        analysis = self.store.get(analysis_id)
        assert analysis is not None  # claimed just above

        def report(update: ProgressUpdate) -> None:
            self.store.progress(analysis_id, update.stage, overall_fraction(update))

        with log_context(analysis_id=analysis_id, media_id=analysis.sha256[:12]):
            try:
                with reporting_to([report]):
                    result, model = self.analyse(analysis)
            except (MediaRejected, StorageFull) as error:
                self.store.fail(analysis_id, error.code, f"{analysis.filename!r}: {error.reason}")
                logger.info("analysis refused: %s", error.code)
            except Exception as error:  # the job fails with a sentence; the worker goes on with the next one
                logger.exception("analysis failed")
                self.store.fail(
                    analysis_id,
                    "internal",
                    f"the analysis stopped unexpectedly ({type(error).__name__})"
                    "; upload the file again, and tell the operators if it happens again",
                )
            else:
                self.store.finish(analysis_id, result, model)
                logger.info("analysis done: %d segments", len(result.get("segments", [])))

    def recover(self) -> list[str]:
        """Queue again the jobs left unfinished by dead workers, and start them; returns their ids."""
        now = dt.datetime.now(dt.UTC)
        picked = []
        for analysis in self.store.unfinished():
            if analysis.status == RUNNING and not worker_is_gone(
                analysis.worker, now, analysis.updated_at, self.stale_after_s
            ):
                continue
            if analysis.status == RUNNING and analysis.attempts >= self.max_attempts:
                self.store.fail(
                    analysis.id,
                    "interrupted",
                    f"the analysis of {analysis.filename!r} was interrupted "
                    f"{analysis.attempts} times; upload the file again",
                )
                continue
            if analysis.status == RUNNING:
                self.store.requeue(analysis.id)
            picked.append(analysis.id)
            self.submit(analysis.id)
        if picked:
            logger.warning("picked up %d unfinished analyses", len(picked))
        return picked

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["QUEUED", "JobRunner", "worker_is_gone"]
