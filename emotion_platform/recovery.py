"""Finishing work that a dead process left undone, without a person.

Two things go wrong when a process dies mid-run (``kill -9``, out of memory, a lost node):

* its run stays STARTED. Runs the daemon launched are marked failed by Dagster's run monitoring and
  retried by its run retries (both enabled in the generated ``dagster.yaml``). Runs the CLI executes
  in its own process carry the process id and host as tags (:func:`process_tags`);
  :func:`fail_runs_of_dead_processes` marks them failed once that process is gone;
* its partition keeps the stages it finished and lacks the rest. :func:`partitions_to_recover` finds
  registered media partitions whose last asset was never materialized and that have no run in
  progress; the inbox sensor (and so ``emotion-platform ingest``) requests a run for each, at most
  ``recovery_attempts`` times per partition.

Temporary files of the dead writer are swept by :func:`emotion_platform.lib.recovery.sweep_orphans`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import dagster as dg

from emotion_platform.constants import MEDIA_PARTITIONS_NAME
from emotion_platform.lib.recovery import process_alive

PID_TAG = "emotion_platform/pid"
HOST_TAG = "emotion_platform/host"
ATTEMPT_TAG = "emotion_platform/recovery_attempt"
PARTITION_TAG = "dagster/partition"

UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
IN_PROGRESS = {*UNFINISHED, dg.DagsterRunStatus.QUEUED}
FAILED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def process_tags() -> dict[str, str]:
    """Tags naming this process, for runs it executes in-process."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def fail_runs_of_dead_processes(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the unfinished in-process runs of this host whose process is gone; returns their ids."""
    records = instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()}))
    failed = []
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0"))
        if pid == os.getpid() or process_alive(pid):
            continue
        instance.report_run_failed(
            run, f"the process that ran it (pid {pid}) is gone; marked failed so the work can be requested again"
        )
        failed.append(run.run_id)
    return failed


@dataclass(frozen=True)
class Recovery:
    """A partition to run again, and which attempt that is (1 = its first run never finished)."""

    partition_key: str
    attempt: int

    @property
    def run_key(self) -> str:
        return f"{self.partition_key}:recovery-{self.attempt}"


@dataclass
class RecoveryPlan:
    requests: list[Recovery]
    given_up: list[str]  # partitions that used up their attempts and wait for a person


def partitions_to_recover(
    instance: dg.DagsterInstance,
    job_name: str,
    final_asset: dg.AssetKey,
    max_attempts: int,
    exclude: set[str] | frozenset[str] = frozenset(),
) -> RecoveryPlan:
    """Registered media partitions without ``final_asset`` and without a run in progress."""
    registered = instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)
    done = instance.get_materialized_partitions(final_asset)
    plan = RecoveryPlan([], [])
    for key in registered:
        if key in done or key in exclude:
            continue
        runs = [
            r.dagster_run for r in instance.get_run_records(dg.RunsFilter(job_name=job_name, tags={PARTITION_TAG: key}))
        ]
        if any(run.status in IN_PROGRESS for run in runs):
            continue
        attempts = sum(run.status in FAILED for run in runs)
        if attempts >= max_attempts:
            plan.given_up.append(key)
        else:
            plan.requests.append(Recovery(key, attempts + 1))
    return plan
