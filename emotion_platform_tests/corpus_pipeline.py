"""The bad-input corpus and real speech through the inbox sensor and the ``media`` and ``transcripts`` assets.

One batch, run once per test session (the pipeline tests and the corpus outcome table both read it):
real ffmpeg, real Whisper, a real Dagster instance.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg

from emotion_platform_tests.media_corpus import MAX_BYTES, MAX_DURATION_S, Case, build_good_files, settle


def run_corpus_pipeline(root: Path, corpus: Path, cases: list[Case], librivox, transcriber) -> dict:
    """Drop the corpus and the good files into an inbox, tick the sensor, run every requested partition.

    ``by_name`` maps each inbox name (aliases of a duplicate included) to what a user could inspect.
    """
    from emotion_platform.assets.media.assets import media
    from emotion_platform.assets.media.sensors import build_inbox_sensor
    from emotion_platform.assets.transcripts.assets import transcripts
    from emotion_platform.jobs import media_pipeline_job
    from emotion_platform.lib.media.quarantine import list_quarantined
    from emotion_platform.lib.transcription.types import Transcript
    from emotion_platform.resources import RECORD_IO_MANAGER, RecordIOManager, StorageResource

    storage = StorageResource(
        root=str(root / "data"),
        inbox=str(root / "inbox"),
        settle_s=0.0,
        max_bytes=MAX_BYTES,
        max_duration_s=MAX_DURATION_S,
    )
    inbox = Path(storage.inbox)
    shutil.copytree(corpus, inbox, symlinks=True)
    good = build_good_files(inbox, [c.path for c in librivox])
    settle(inbox)
    resources = {"storage": storage, "transcriber": transcriber, RECORD_IO_MANAGER: RecordIOManager(root=storage.root)}
    sensor = build_inbox_sensor(media_pipeline_job)
    with dg.DagsterInstance.ephemeral() as instance:
        with dg.build_sensor_context(instance=instance, resources={"storage": storage}) as ctx:
            tick = sensor(ctx)
        for request in tick.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        results = {}
        for request in tick.run_requests:
            result = dg.materialize(
                [media, transcripts], partition_key=request.partition_key, instance=instance, resources=resources
            )
            assert result.success, f"run for {request.partition_key} failed"
            results[request.partition_key] = result
        by_name = {}
        for key, result in results.items():
            manifest = json.loads(storage.media_store.manifest_path(key).read_text())
            media_meta = result.asset_materializations_for_node("media")[0].metadata
            checks = result.get_asset_check_evaluations()
            transcript = Transcript.load(storage.media_store.transcript_path(key))
            outcome = {
                "key": key,
                "media": {k: getattr(v, "value", v) for k, v in media_meta.items()},
                "check_passed": checks[0].passed,
                "transcript": transcript,
            }
            by_name[manifest["original_name"]] = outcome
            for alias in manifest["aliases"]:
                by_name[Path(alias["inbox_path"]).name] = outcome | {"alias_of": manifest["original_name"]}
    return {
        "cases": cases,
        "good": good,
        "by_name": by_name,
        "storage": storage,
        "quarantine": list_quarantined(storage.media_store),
        "librivox": librivox,
        "partitions": sorted(results),
    }


def pipeline_outcome(processed: dict, name: str) -> str:
    """What became of one inbox file, in the words of :attr:`Case.pipeline_outcome`."""
    outcome = processed["by_name"].get(name)
    if outcome is None:
        [record] = [r for r in processed["quarantine"] if r["original_name"] == name]
        return f"quarantined at {record['stage']}: {record['code']}"
    if outcome["media"]["status"] == "quarantined":
        return f"quarantined at decode: {outcome['media']['reason_code']}"
    same = f" (same partition as {outcome['alias_of']})" if "alias_of" in outcome else ""
    return f"completed: {outcome['transcript'].status}{same}"
