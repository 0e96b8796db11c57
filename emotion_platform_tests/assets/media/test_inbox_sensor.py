"""The inbox sensor: cursor, settling, dedup by content, cheap rejections, and run requests."""

import json
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from emotion_platform.assets.media.sensors import build_inbox_sensor, load_cursor
from emotion_platform.assets.partitions import media_partitions
from emotion_platform.jobs import media_pipeline_job
from emotion_platform.lib.media.quarantine import list_quarantined
from emotion_platform.resources import StorageResource
from emotion_platform_tests.media_corpus import settle

sensor = build_inbox_sensor(media_pipeline_job)


def with_settings(storage: StorageResource, **changes) -> StorageResource:
    """A copy of a resource with some fields changed (Dagster resources must be rebuilt, not copied)."""
    return StorageResource(**{**storage.model_dump(), **changes})


def tick(instance: dg.DagsterInstance, storage, cursor: str | None = None) -> dg.SensorResult:
    """One sensor evaluation; the partitions it registers are then finished, as their runs would do."""
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"storage": storage}) as ctx:
        result = sensor(ctx)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        for key in request.partition_keys:
            instance.report_runless_asset_event(dg.AssetMaterialization("transcripts", partition=key))
    return result


def test_new_files_become_partitions_and_runs(storage, librivox) -> None:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    for clip in librivox[:2]:
        shutil.copyfile(clip.path, inbox / clip.path.name)
    settle(inbox)
    with dg.instance_for_test() as instance:
        result = tick(instance, storage)
        keys = sorted(r.partition_key for r in result.run_requests)
        assert len(keys) == 2
        assert all(r.run_key == r.partition_key for r in result.run_requests)
        assert sorted(instance.get_dynamic_partitions(media_partitions.name)) == keys
        assert set(load_cursor(result.cursor)) == {c.path.name for c in librivox[:2]}
        # The runs have finished the partitions: the next tick with the cursor requests nothing.
        again = tick(instance, storage, result.cursor)
        assert not again.run_requests and "no new media" in again.skip_reason.skip_message


def test_same_bytes_under_another_name_are_one_partition(storage, librivox) -> None:
    inbox = Path(storage.inbox)
    (inbox / "sub folder").mkdir(parents=True)
    shutil.copyfile(librivox[0].path, inbox / "first.wav")
    shutil.copyfile(librivox[0].path, inbox / "sub folder" / "Copy of first.WAV")
    settle(inbox)
    with dg.instance_for_test() as instance:
        result = tick(instance, storage)
        assert len(result.run_requests) == 1
        key = result.run_requests[0].partition_key
        manifest = json.loads(storage.media_store.manifest_path(key).read_text())
        assert manifest["aliases"][0]["inbox_path"] == "sub folder/Copy of first.WAV"
        # Even without the cursor (a fresh sensor), the known bytes are not admitted again.
        assert not tick(instance, storage, cursor=None).run_requests


def test_files_still_being_written_wait_for_the_next_tick(storage, librivox) -> None:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    slow = with_settings(storage, settle_s=30.0)
    shutil.copyfile(librivox[0].path, inbox / "arriving.wav")
    (inbox / "upload.wav.part").write_bytes(b"partial")
    (inbox / ".DS_Store").write_bytes(b"finder")
    with dg.instance_for_test() as instance:
        result = tick(instance, slow)
        assert not result.run_requests and "1 still being written" in result.skip_reason.skip_message
        assert load_cursor(result.cursor) == {}
        settle(inbox)
        assert len(tick(instance, slow, result.cursor).run_requests) == 1


def test_changed_file_is_seen_again(storage, librivox) -> None:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    target = inbox / "take.wav"
    shutil.copyfile(librivox[0].path, target)
    settle(inbox)
    with dg.instance_for_test() as instance:
        first = tick(instance, storage)
        shutil.copyfile(librivox[1].path, target)
        past = time.time() - 60
        os.utime(target, (past, past))
        second = tick(instance, storage, first.cursor)
        assert len(second.run_requests) == 1
        assert second.run_requests[0].partition_key != first.run_requests[0].partition_key


def test_cheap_rejections_are_quarantined_without_runs(storage, librivox) -> None:
    inbox = Path(storage.inbox)
    inbox.mkdir(parents=True)
    (inbox / "empty.wav").write_bytes(b"")
    (inbox / "link.wav").symlink_to(librivox[0].path)
    big = inbox / "big.wav"
    shutil.copyfile(librivox[0].path, big)
    small_limit = with_settings(storage, max_bytes=big.stat().st_size - 1)
    settle(inbox)
    with dg.instance_for_test() as instance:
        result = tick(instance, small_limit)
        assert not result.run_requests
    reasons = {r["original_name"]: (r["code"], r["reason"]) for r in list_quarantined(storage.media_store)}
    assert reasons["empty.wav"][0] == "empty"
    assert reasons["link.wav"][0] == "unsafe_path"
    assert reasons["big.wav"][0] == "too_large" and "over the" in reasons["big.wav"][1]
    # The inbox is never modified.
    assert sorted(p.name for p in inbox.iterdir()) == ["big.wav", "empty.wav", "link.wav"]


def test_cursor_survives_a_lost_or_old_cursor() -> None:
    assert load_cursor(None) == {}
    assert load_cursor(json.dumps({"v": 0, "seen": {"a": "1:2"}})) == {}


@dg.op
def _dies() -> None:
    raise RuntimeError("the run's process went away")


# A stand-in with the media pipeline's name: its runs fail, as a killed worker's run ends.
_failing_media_pipeline = dg.GraphDefinition(name=media_pipeline_job.name, node_defs=[_dies]).to_job()


def _failed_run(instance: dg.DagsterInstance, key: str) -> None:
    result = _failing_media_pipeline.execute_in_process(
        instance=instance, raise_on_error=False, tags={"dagster/partition": key}
    )
    assert not result.success


@pytest.mark.slow
def test_unfinished_partitions_are_requested_again_within_a_bound(storage) -> None:
    Path(storage.inbox).mkdir(parents=True)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(media_partitions.name, ["done", "never-ran", "failed-once", "failed-thrice"])
        instance.report_runless_asset_event(dg.AssetMaterialization("transcripts", partition="done"))
        _failed_run(instance, "failed-once")
        for _ in range(3):
            _failed_run(instance, "failed-thrice")

        result = tick(instance, storage)

        requested = {r.partition_key: r for r in result.run_requests}
        assert set(requested) == {"never-ran", "failed-once"}  # "failed-thrice" used up its 3 attempts
        assert requested["never-ran"].run_key == "never-ran:recovery-1"
        assert requested["failed-once"].run_key == "failed-once:recovery-2"
        assert requested["failed-once"].tags["emotion_platform/recovery_attempt"] == "2"
        assert not result.dynamic_partitions_requests  # no new media: nothing to register


def test_a_run_whose_process_died_is_marked_failed_and_its_partition_requested(storage) -> None:
    from emotion_platform.recovery import HOST_TAG, PID_TAG, process_tags
    from emotion_platform_tests.lib.test_recovery import _dead_pid

    Path(storage.inbox).mkdir(parents=True)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(media_partitions.name, ["orphaned", "running"])
        host = process_tags()[HOST_TAG]
        orphaned = instance.create_run_for_job(
            media_pipeline_job.resolve(asset_graph=_asset_graph()),
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "orphaned", PID_TAG: str(_dead_pid()), HOST_TAG: host},
        )
        instance.create_run_for_job(
            media_pipeline_job.resolve(asset_graph=_asset_graph()),
            status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "running", **process_tags()},
        )

        result = tick(instance, storage)

        assert instance.get_run_by_id(orphaned.run_id).status == dg.DagsterRunStatus.FAILURE
        assert [r.partition_key for r in result.run_requests] == ["orphaned"]  # "running" is still in progress


def _asset_graph():
    from emotion_platform.definitions import defs

    return defs.resolve_asset_graph()
