"""The ``media`` asset: a media file decoded to 16 kHz mono audio and sampled video frames."""

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import MEDIA_GROUP
from emotion_platform.lib.media.prepare import READY, prepare_media
from emotion_platform.lib.media.validation import human_bytes
from emotion_platform.resources import StorageResource

DECODABLE_CHECK = "decodable"


def media_metadata(record: dict) -> dict:
    """What a person wants to see about a media file in the Dagster UI."""
    meta: dict = {
        "status": record["status"],
        "original_name": record["original_name"],
        "sha256": record["sha256"],
        "stored_at": dg.MetadataValue.path(record["source"]),
    }
    info = record.get("info")
    if info:
        meta |= {
            "duration_s": info["duration_s"],
            "size": human_bytes(info["size_bytes"]),
            "format": info["format_name"],
            "has_audio": info["has_audio"],
            "has_video": info["has_video"],
        }
        if info["audio"]:
            meta |= {
                "audio_codec": info["audio"]["codec"],
                "sample_rate": info["audio"]["sample_rate"],
                "channels": info["audio"]["channels"],
            }
        if info["video"]:
            video = info["video"]
            meta |= {
                "video_codec": video["codec"],
                "resolution": f"{video['width']}x{video['height']}",
                "fps": video["fps"],
            }
    if record.get("audio"):
        meta |= {
            "decoded_audio": dg.MetadataValue.path(record["audio"]["path"]),
            "loudness_dbfs": record["audio"]["rms_dbfs"],
        }
    if record.get("frames"):
        meta |= {
            "frames": record["frames"]["count"],
            "frames_dir": dg.MetadataValue.path(record["frames"]["directory"]),
        }
    if record["status"] != READY:
        meta |= {
            "reason_code": record["code"],
            "reason": record["reason"],
            "quarantine": dg.MetadataValue.path(record["quarantine"]),
        }
    return meta


@dg.asset(
    partitions_def=media_partitions,
    group_name=MEDIA_GROUP,
    kinds={"ffmpeg", "audio", "video"},
    check_specs=[
        dg.AssetCheckSpec(DECODABLE_CHECK, asset="media", description="The file is media the platform can decode.")
    ],
)
def media(context: dg.AssetExecutionContext, storage: StorageResource):
    """One media file, probed and decoded: 16 kHz mono audio and frames sampled from its video."""
    record = prepare_media(context.partition_key, storage.media_store, storage.limits)
    passed = record["status"] == READY
    check = dg.AssetCheckResult(
        check_name=DECODABLE_CHECK,
        passed=passed,
        metadata={"reason_code": record["code"] or "ok", "reason": record["reason"] or "decoded"},
    )
    if not passed:
        context.log.warning(f"{context.partition_key} quarantined: {record['reason']}")
    return dg.MaterializeResult(value=record, metadata=media_metadata(record), check_results=[check])
