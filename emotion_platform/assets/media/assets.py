"""The ``media`` asset: a media file decoded to 16 kHz mono audio and sampled video frames."""

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import MEDIA_GROUP
from emotion_platform.lib.media.prepare import PreparedMedia, prepare_media
from emotion_platform.lib.media.store import PREPARED_FILE
from emotion_platform.lib.media.validation import human_bytes
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource
from emotion_platform.resources.record_io import stored_at

DECODABLE_CHECK = "decodable"


def media_metadata(record: PreparedMedia) -> dict:
    """What a person wants to see about a media file in the Dagster UI."""
    meta: dict = {
        "status": record.status,
        "original_name": record.original_name,
        "sha256": record.sha256,
        "stored_at": dg.MetadataValue.path(record.source),
    }
    info = record.info
    if info:
        meta |= {
            "duration_s": info.duration_s,
            "size": human_bytes(info.size_bytes),
            "format": info.format_name,
            "has_audio": info.has_audio,
            "has_video": info.has_video,
        }
        if info.audio:
            meta |= {
                "audio_codec": info.audio.codec,
                "sample_rate": info.audio.sample_rate,
                "channels": info.audio.channels,
            }
        if info.video:
            meta |= {
                "video_codec": info.video.codec,
                "resolution": f"{info.video.width}x{info.video.height}",
                "fps": info.video.fps,
            }
    if record.audio:
        meta |= {"decoded_audio": dg.MetadataValue.path(record.audio.path), "loudness_dbfs": record.audio.rms_dbfs}
    if record.frames:
        meta |= {"frames": record.frames.count, "frames_dir": dg.MetadataValue.path(record.frames.directory)}
    if not record.ready:
        meta |= {
            "reason_code": str(record.code),
            "reason": str(record.reason),
            "quarantine": dg.MetadataValue.path(str(record.quarantine)),
        }
    return meta


@dg.asset(
    partitions_def=media_partitions,
    group_name=MEDIA_GROUP,
    kinds={"ffmpeg", "audio", "video"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(PREPARED_FILE),
    check_specs=[
        dg.AssetCheckSpec(DECODABLE_CHECK, asset="media", description="The file is media the platform can decode.")
    ],
)
def media(context: dg.AssetExecutionContext, storage: StorageResource):  # a check's output: no return annotation
    """One media file, probed and decoded: 16 kHz mono audio and frames sampled from its video
    (a :class:`PreparedMedia` record)."""
    record = prepare_media(context.partition_key, storage.media_store, storage.limits)
    check = dg.AssetCheckResult(
        check_name=DECODABLE_CHECK,
        passed=record.ready,
        metadata={"reason_code": record.code or "ok", "reason": record.reason or "decoded"},
    )
    if not record.ready:
        context.log.warning(f"{context.partition_key} quarantined: {record.reason}")
    return dg.MaterializeResult(value=record, metadata=media_metadata(record), check_results=[check])
