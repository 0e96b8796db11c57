"""The page's store and job runner: jobs claimed once, progress and results kept, dead workers' jobs resumed."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from emotion_platform.lib.errors import CorruptMedia
from emotion_platform.lib.progress import Progress
from emotion_platform.serving.web.history import DONE, FAILED, QUEUED, RUNNING, HistoryStore
from emotion_platform.serving.web.jobs import JobRunner, worker_is_gone

RESULT = {
    "segments": [
        {"start": 0.0, "end": 2.0, "text": "I am so happy", "top": "joy"},
        {"start": 2.0, "end": 4.0, "text": "and now scared", "top": "fear"},
    ],
    "summary": {"dominant": "joy"},
}
MODEL = {"name": "emotion-model", "version": "4"}


@pytest.fixture()
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(f"sqlite:///{tmp_path / 'history.sqlite'}")


def _new(store: HistoryStore, name: str = "clip.wav"):
    return store.create(
        filename=name, media_path=f"/media/{name}", media_kind="audio", size_bytes=10, sha256="ab" * 32, owner="key1"
    )


def _analyse_in_two_stages(analysis):
    with Progress("transcribing", 2, "stages", every_s=0.0) as progress:
        progress.advance()
        progress.advance()
    return RESULT, MODEL


def test_a_job_runs_once_reports_progress_and_keeps_its_result(store) -> None:
    seen = []
    runner = JobRunner(store, lambda a: (seen.append(a.id), _analyse_in_two_stages(a))[1])
    analysis = _new(store)
    runner.submit(analysis.id).result(30)
    runner.submit(analysis.id).result(30)  # already done: not claimed again
    done = store.get(analysis.id)
    assert seen == [analysis.id]
    assert (done.status, done.progress, done.model_version, done.attempts) == (DONE, 1.0, "4", 1)
    assert done.result == RESULT and done.summary()["dominant"] == "joy"


def test_bad_media_fails_the_job_with_its_reason(store) -> None:
    def refuse(analysis):
        raise CorruptMedia(Path(analysis.media_path), "the data ends before the header says it does")

    analysis = _new(store, "cut.wav")
    JobRunner(store, refuse).submit(analysis.id).result(30)
    failed = store.get(analysis.id)
    assert (failed.status, failed.error_code) == (FAILED, "corrupt")
    assert failed.message == "'cut.wav': the data ends before the header says it does"


def test_jobs_of_a_dead_worker_are_resumed_by_the_next_one(store) -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    queued, orphaned, exhausted = _new(store, "a.wav"), _new(store, "b.wav"), _new(store, "c.wav")
    dead = f"{_host()}:{child.pid}"
    assert store.claim(orphaned.id, dead)
    assert store.claim(exhausted.id, dead)  # interrupted twice already
    store.requeue(exhausted.id)
    assert store.claim(exhausted.id, dead)
    release = threading.Event()
    runner = JobRunner(store, lambda a: (release.wait(30), _analyse_in_two_stages(a))[1])

    picked = runner.recover()

    assert sorted(picked) == sorted([queued.id, orphaned.id])
    assert store.get(exhausted.id).status == FAILED and store.get(exhausted.id).error_code == "interrupted"
    release.set()
    runner.pool.shutdown(wait=True)
    assert store.get(orphaned.id).status == DONE and store.get(orphaned.id).attempts == 2
    assert store.get(queued.id).status == DONE


def test_running_jobs_of_live_workers_are_left_alone() -> None:
    now = dt.datetime.now(dt.UTC)
    assert not worker_is_gone(f"{_host()}:{_pid()}", now, now, 900)
    assert worker_is_gone("elsewhere:1", now, now - dt.timedelta(hours=1), 900)
    assert not worker_is_gone("elsewhere:1", now, now - dt.timedelta(seconds=5), 900)
    assert worker_is_gone(None, now, now, 900)


def test_corrections_replace_each_other_and_carry_their_media(store) -> None:
    analysis = _new(store)
    store.claim(analysis.id, "w")
    store.finish(analysis.id, RESULT, MODEL)
    store.correct(analysis.id, 1, "surprise", "Ana", "key1")
    store.correct(analysis.id, 1, "sadness", "Ana", "key1")
    (only,) = store.reviewed()
    assert (only["predicted"], only["corrected"], only["reviewer"], only["model_version"]) == (
        "fear",
        "sadness",
        "Ana",
        "4",
    )
    assert only["sha256"] == "ab" * 32 and only["text"] == "and now scared" and only["start_s"] == 2.0
    with pytest.raises(KeyError):
        store.correct("missing", 0, "joy", "Ana", "key1")
    store.delete(analysis.id)
    assert store.reviewed() == [] and store.get(analysis.id) is None


def test_new_jobs_are_queued_and_listed_newest_first(store) -> None:
    first, second = _new(store, "1.wav"), _new(store, "2.wav")
    assert [a.id for a in store.list()] == [second.id, first.id]
    assert {a.status for a in store.unfinished()} == {QUEUED}
    assert store.claim(first.id, "w") and not store.claim(first.id, "other")
    assert store.get(first.id).status == RUNNING


def _host() -> str:
    return socket.gethostname()


def _pid() -> int:
    return os.getpid()


@pytest.mark.slow
def test_workers_starting_together_all_find_their_tables(tmp_path: Path) -> None:
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    context = multiprocessing.get_context("spawn")
    # The target is the store class itself: a child imports its module only, so they start close together.
    workers = [context.Process(target=HistoryStore, args=(url,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
