"""Growth: what one inbox sensor tick and one new file cost with 1, 1,000 and 10,000 media partitions
already there, in the local profile (sqlite) and the scale profile (PostgreSQL).

Usage: .venv/bin/python bench/growth.py [--sizes 1,1000,10000] [--repeats 3] [--profiles local,scale]

For each profile it makes a fresh deployment: a new DAGSTER_HOME with the profile's dagster.yaml
(``emotion_platform.instance``; the scale profile on a real PostgreSQL server started on loopback by
``emotion_platform_tests/postgres_server.py``) and a new data folder. The first existing partition is
a real one: a LibriVox clip ingested end to end (which also loads the transcriber, so no
measurement pays for that). The others are made as finished partitions look: a file in the inbox
that the sensor's cursor has seen, the store's manifest for it, the media partition registered
(``add_dynamic_partitions``) and a materialization of ``transcripts`` (the asset that means the
partition is done). At each size it times, ``--repeats`` times each, median:

* tick: one inbox sensor tick with nothing new (``runs.evaluate_inbox_sensor``), and of that the
  inbox scan alone and the two partition reads the tick makes (registered and finished keys);
* new file: one tick plus the run for one new real file (``runs.ingest_inbox`` with a copy of a
  3 s LibriVox clip in the inbox, each copy with different bytes), the run transcribing it.

It prints profile x size with the ratio to size 1 of the same profile in the same run, and probes
Dagster's known sqlite limit (dagster-io/dagster#16260, reported at ~36,000 partitions): one
``add_dynamic_partitions`` call with more keys than the SQLite library allows host parameters in a
statement (32,766 by default since SQLite 3.32; builds may raise it) fails with "too many SQL
variables". The sensor adds the new files of one tick in one call. Results go to
bench/results/growth.json.

Setup note: marking 10,000 partitions finished one ``report_runless_asset_event`` at a time costs
~30-90 ms per event here on either storage (on sqlite a new engine, connection and fsync per
event), minutes per profile. The seeding therefore records the same events in batches: Dagster's
event batch writing (``DAGSTER_EVENT_BATCH_SIZE``) on PostgreSQL, and on sqlite Dagster's own
``store_event`` through one open transaction per database file. The measurements run the
unmodified instance.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import dagster as dg  # noqa: E402
from machine import cpu_times, describe  # noqa: E402  (bench/machine.py)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from emotion_platform.assets.media.sensors import FINAL_ASSET, dump_cursor  # noqa: E402
from emotion_platform.assets.partitions import media_partitions  # noqa: E402
from emotion_platform.definitions import build_definitions  # noqa: E402
from emotion_platform.instance import ensure_dagster_home  # noqa: E402
from emotion_platform.lib import atomic  # noqa: E402
from emotion_platform.lib.media.ffmpeg import tool  # noqa: E402
from emotion_platform.lib.media.inbox import scan_inbox  # noqa: E402
from emotion_platform.lib.progress import reporting_to  # noqa: E402
from emotion_platform.lib.samples import librivox_clips  # noqa: E402
from emotion_platform.runs import (  # noqa: E402
    _cursor_file,
    clean_up_after_dead_processes,
    evaluate_inbox_sensor,
    ingest_inbox,
)
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings  # noqa: E402

RESULTS = PROJECT_ROOT / "bench" / "results" / "growth.json"
SQLITE_DEFAULT_VARIABLES = 32_766  # SQLITE_MAX_VARIABLE_NUMBER of SQLite >= 3.32 unless the build raises it
TIMINGS = ("tick_s", "scan_s", "reads_s", "cleanup_s", "new_file_s")
ADD_CHUNK = 5_000  # keys per add_dynamic_partitions call while seeding (well under the sqlite limit)


@dataclass
class Level:
    """The timings of one profile at one size."""

    profile: str
    size: int
    tick_s: list[float] = field(default_factory=list)
    scan_s: list[float] = field(default_factory=list)
    reads_s: list[float] = field(default_factory=list)
    cleanup_s: list[float] = field(default_factory=list)
    new_file_s: list[float] = field(default_factory=list)
    seed_s: float = 0.0

    def median(self, name: str) -> float:
        return statistics.median(getattr(self, name))

    def summary(self) -> dict:
        return {
            "profile": self.profile,
            "size": self.size,
            "seed_s": round(self.seed_s, 1),
            **{name: [round(v, 4) for v in getattr(self, name)] for name in TIMINGS},
            **{f"{name}_median": round(self.median(name), 4) for name in TIMINGS},
        }


# --- a fresh deployment of a profile -------------------------------------------------------------


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the block, the previous values back afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def deployment(profile: str, work: Path) -> Iterator[tuple[dg.DagsterInstance, dg.Definitions, str]]:
    """A new DAGSTER_HOME and data folder for ``profile`` (scale: on a new PostgreSQL server); yields the
    instance, the platform's definitions for it, and a line describing the storage."""
    env = {
        "DAGSTER_HOME": str(work / profile / "dagster_home"),
        "EMOTION_PLATFORM_DATA_DIR": str(work / profile / "data"),
        "EMOTION_PLATFORM_DEPLOYMENT": profile,
    }
    with contextlib.ExitStack() as stack:
        if profile == "scale":
            sys.path.insert(0, str(PROJECT_ROOT))  # the tests' helpers are not an installed package
            from emotion_platform_tests.postgres_server import postgres_bin_dir, running_postgres

            bin_dir = postgres_bin_dir()
            if bin_dir is None:
                raise SystemExit("PostgreSQL server binaries not installed (apt-get install postgresql)")
            server = stack.enter_context(running_postgres(bin_dir))
            server.create_database("dagster")
            env |= {
                "EMOTION_PLATFORM_PG_HOST": server.host,
                "EMOTION_PLATFORM_PG_PORT": str(server.port),
                "EMOTION_PLATFORM_PG_USER": server.user,
                "EMOTION_PLATFORM_PG_PASSWORD": "",
                "EMOTION_PLATFORM_PG_DAGSTER_DB": "dagster",
            }
            storage_line = f"PostgreSQL {bin_dir.parent.name} on loopback (fsync off)"
        else:
            storage_line = "sqlite files in DAGSTER_HOME"
        stack.enter_context(environment(env))
        settings = PlatformSettings()
        ensure_dagster_home(settings)
        settings.inbox.mkdir(parents=True, exist_ok=True)
        instance = stack.enter_context(dg.DagsterInstance.get())
        yield instance, build_definitions(settings), storage_line


# --- existing partitions ----------------------------------------------------------------------------


def existing_key(index: int) -> str:
    """A media id of the platform's form (content-hash prefix, safe name) for existing file ``index``."""
    return f"{hashlib.sha256(f'existing-{index}'.encode()).hexdigest()[:12]}-existing-{index:05d}.wav"


def add_existing(instance: dg.DagsterInstance, defs: dg.Definitions, start: int, stop: int) -> None:
    """Existing files ``start`` to ``stop - 1`` as finished partitions: a file in the inbox (seen by the
    cursor), its manifest in the store, the registered partition and a ``transcripts`` materialization."""
    storage = defs.resources["storage"]
    keys = [existing_key(i) for i in range(start, stop)]
    inbox = Path(storage.inbox_path) / "existing"
    inbox.mkdir(parents=True, exist_ok=True)
    for key in keys:
        (inbox / key).write_bytes(key.encode() * 32)  # small: the sensor never reads a file it has seen
        manifest = storage.media_store.manifest_path(key)
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({"media_id": key, "original_name": key, "inbox_path": f"existing/{key}"}))
    for chunk in range(0, len(keys), ADD_CHUNK):
        instance.add_dynamic_partitions(media_partitions.name, keys[chunk : chunk + ADD_CHUNK])
    report_finished(instance, keys)
    # The cursor the sensor would hold after seeing every file now in the inbox.
    atomic.write_text(_cursor_file(instance), dump_cursor(scan_inbox(Path(storage.inbox_path), {}, 0.0).present))


def report_finished(instance: dg.DagsterInstance, keys: list[str], batch: int = 1_000) -> None:
    """A runless ``transcripts`` materialization for each of ``keys``, as ``report_runless_asset_event``
    records it, written in batches through Dagster's event batch writing (``DAGSTER_EVENT_BATCH_SIZE``:
    one multi-row insert on PostgreSQL) and, on sqlite, in one transaction per database file."""
    from dagster._core.events import DagsterEvent, DagsterEventBatchMetadata, DagsterEventType, StepMaterializationData
    from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID

    with environment({"DAGSTER_EVENT_BATCH_SIZE": str(batch)}), batched_sqlite_writes(instance):
        for i, key in enumerate(keys):
            event = DagsterEvent(
                DagsterEventType.ASSET_MATERIALIZATION.value,
                job_name=RUNLESS_JOB_NAME,
                event_specific_data=StepMaterializationData(dg.AssetMaterialization(FINAL_ASSET, partition=key)),
            )
            instance.report_dagster_event(
                event,
                run_id=RUNLESS_RUN_ID,
                batch_metadata=DagsterEventBatchMetadata("seeding", is_end=i == len(keys) - 1),
            )


@contextlib.contextmanager
def batched_sqlite_writes(instance: dg.DagsterInstance) -> Iterator[None]:
    """On sqlite, Dagster's own event writes go through one open transaction per database file for the
    block (committed at its end) instead of a new engine, connection and commit per event. Elsewhere
    (PostgreSQL, with its connection pool) nothing changes."""
    storage = instance.event_log_storage
    if type(storage).__name__ != "SqliteEventLogStorage":
        yield
        return
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    opened: dict[str, tuple] = {}
    own_connect = storage._connect

    @contextlib.contextmanager
    def connect(shard: str):
        if shard not in opened:
            with own_connect(shard):  # creates and migrates the file if new
                pass
            engine = create_engine(storage.conn_string_for_shard(shard), poolclass=NullPool)
            connection = engine.connect()
            connection.begin()
            opened[shard] = (engine, connection)
        yield opened[shard][1]

    storage._connect = connect
    try:
        yield
        for _, connection in opened.values():
            connection.commit()
    finally:
        del storage._connect
        for engine, connection in opened.values():
            connection.close()
            engine.dispose()


# --- the measurements -------------------------------------------------------------------------------


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def measure_tick(instance: dg.DagsterInstance, defs: dg.Definitions, level: Level) -> None:
    """One sensor tick with nothing new, and apart from it the inbox scan and the partition reads; and the
    clean-up after dead processes that ``ingest_inbox`` runs before its tick."""
    inbox = Path(defs.resources["storage"].inbox_path)
    seconds, result = timed(lambda: evaluate_inbox_sensor(defs, instance))
    if result.run_requests:
        raise SystemExit(f"a tick with nothing new asked for runs: {[r.partition_key for r in result.run_requests]}")
    level.tick_s.append(seconds)
    seen = json.loads(_cursor_file(instance).read_text())["seen"]
    level.scan_s.append(timed(lambda: scan_inbox(inbox, seen, 0.0))[0])
    level.reads_s.append(
        timed(
            lambda: (
                instance.get_dynamic_partitions(media_partitions.name),
                instance.get_materialized_partitions(FINAL_ASSET),
            )
        )[0]
    )
    data_root = Path(defs.resources["storage"].root)
    level.cleanup_s.append(timed(lambda: clean_up_after_dead_processes(instance, data_root))[0])


def measure_new_file(instance: dg.DagsterInstance, defs: dg.Definitions, clip: Path, name: str) -> float:
    """Seconds for one tick plus the run of one new file (a copy of ``clip`` with its own bytes)."""
    target = Path(defs.resources["storage"].inbox_path) / name
    subprocess.run(
        [
            tool("ffmpeg"),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(clip),
            "-metadata",
            f"comment={name}",
            "-c",
            "copy",
            str(target),
        ],
        check=True,
    )
    settled = time.time() - 60
    os.utime(target, (settled, settled))
    with reporting_to([]):  # no progress lines on the terminal
        seconds, outcome = timed(lambda: ingest_inbox(defs, instance))
    if len(outcome.new_partitions) != 1 or outcome.failed or len(outcome.run_ids) != 1:
        raise SystemExit(f"{name}: expected one new partition and one successful run, got {outcome}")
    return seconds


def run_profile(
    profile: str, sizes: list[int], repeats: int, clip: Path, work: Path, console: Console
) -> tuple[list[Level], str]:
    levels = []
    with deployment(profile, work) as (instance, defs, storage_line):
        console.print(
            f"[bold]{profile}[/bold] ({storage_line}): the first partition, a real file ingested end "
            "to end (loads the transcriber) ..."
        )
        measure_new_file(instance, defs, clip, f"{profile}-first.wav")
        for size in sizes:
            level = Level(profile, size)
            have = len(instance.get_dynamic_partitions(media_partitions.name))
            if size > have:
                started = time.perf_counter()
                add_existing(instance, defs, have, size)
                level.seed_s = time.perf_counter() - started
            assert len(instance.get_dynamic_partitions(media_partitions.name)) == max(have, size)
            assert len(instance.get_materialized_partitions(FINAL_ASSET)) == max(have, size)
            for _ in range(repeats):
                measure_tick(instance, defs, level)
            for i in range(repeats):
                level.new_file_s.append(measure_new_file(instance, defs, clip, f"{profile}-{size}-{i}.wav"))
            console.print(
                f"  {size:>6} existing (seeded in {level.seed_s:.1f} s): tick {level.median('tick_s'):.3f} s "
                f"(scan {level.median('scan_s'):.3f}, partition reads {level.median('reads_s'):.3f}); "
                f"clean-up {level.median('cleanup_s'):.3f} s; new file {level.median('new_file_s'):.2f} s"
            )
            levels.append(level)
    return levels, storage_line


def sqlite_variable_limit() -> int:
    """The most host parameters one statement may have in the SQLite library this Python (and Dagster) uses."""
    with contextlib.closing(sqlite3.connect(":memory:")) as connection:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def sqlite_one_call_limit(work: Path, keys: int) -> str:
    """What one ``add_dynamic_partitions`` call with ``keys`` new keys does on a fresh sqlite instance."""
    (work / "sqlite-limit").mkdir()
    with dg.DagsterInstance.local_temp(str(work / "sqlite-limit")) as instance:
        try:
            seconds, _ = timed(lambda: instance.add_dynamic_partitions("probe", [f"k{i}" for i in range(keys)]))
        except Exception as error:  # noqa: BLE001  (what it raises is the finding)
            return f"fails: {type(error).__name__}: {str(error).splitlines()[0][:100]}"
    return f"succeeds in {seconds:.1f} s"


def print_table(console: Console, levels: list[Level]) -> None:
    table = Table(
        title="bench/growth.py: cost with N existing media partitions (median; ratio to N=1 of the same profile)"
    )
    for col in (
        "profile",
        "N existing",
        "tick s",
        "of which inbox scan s",
        "of which partition reads s",
        "tick vs N=1",
        "clean-up s",
        "new file s",
        "new file vs N=1",
        "seeding s",
    ):
        table.add_column(col, justify="right")
    first = {}
    for level in levels:
        base = first.setdefault(level.profile, level)
        tick, new_file = level.median("tick_s"), level.median("new_file_s")
        table.add_row(
            level.profile,
            f"{level.size:,}",
            f"{tick:.3f}",
            f"{level.median('scan_s'):.3f}",
            f"{level.median('reads_s'):.3f}",
            f"{tick / base.median('tick_s'):.2f}x",
            f"{level.median('cleanup_s'):.3f}",
            f"{new_file:.2f}",
            f"{new_file / base.median('new_file_s'):.2f}x",
            f"{level.seed_s:.1f}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,1000,10000", help="existing partitions, ascending, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profiles", default="local,scale")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    console = Console(width=150)
    machine_before = cpu_times()
    clip = min((c.path for c in librivox_clips()), key=lambda p: p.stat().st_size)
    started = time.perf_counter()
    levels, storages = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        for profile in args.profiles.split(","):
            found, storages[profile] = run_profile(profile, sizes, args.repeats, clip, Path(tmp), console)
            levels.extend(found)
        variables = sqlite_variable_limit()
        limit = sqlite_one_call_limit(Path(tmp), variables + 1_000)
    console.print(f"clip: {clip.name}; {describe(machine_before)}; total {time.perf_counter() - started:.0f} s")
    print_table(console, levels)
    console.print(
        f"sqlite {sqlite3.sqlite_version} here allows {variables:,} variables per statement (the library's "
        f"default since 3.32 is {SQLITE_DEFAULT_VARIABLES:,}): one add_dynamic_partitions call with "
        f"{variables + 1_000:,} new keys {limit} (dagster-io/dagster#16260; the sensor adds the new files "
        "of one tick in one call)"
    )
    atomic.write_json(
        RESULTS,
        {
            "clip": clip.name,
            "repeats": args.repeats,
            "storages": storages,
            "levels": [level.summary() for level in levels],
            "sqlite": {
                "version": sqlite3.sqlite_version,
                "max_variables": variables,
                "one_call_add_of_max_plus_1000": limit,
            },
        },
    )
    console.print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
