"""Turning an admitted file into decoded audio and sampled frames, or a quarantine record."""

from __future__ import annotations

from emotion_platform.lib.errors import MediaRejected
from emotion_platform.lib.media import decode, validation
from emotion_platform.lib.media.admission import read_manifest, stored_file
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.media.probe import check_wav_header, probe
from emotion_platform.lib.media.quarantine import quarantine
from emotion_platform.lib.media.store import MediaStore

READY = "ready"
QUARANTINED = "quarantined"


def prepare_media(key: str, store: MediaStore, limits: MediaLimits) -> dict:
    """Probe, check and decode one admitted file. Never raises for bad media: it quarantines it.

    Returns a JSON-able record: ``status`` is ``ready`` (with ``info``, ``audio``, ``frames``) or
    ``quarantined`` (with ``code`` and ``reason``).
    """
    manifest = read_manifest(store, key)
    source = stored_file(store, key)
    record: dict = {
        "media_id": key,
        "sha256": manifest["sha256"],
        "original_name": manifest["original_name"],
        "source": str(source),
        "info": None,
        "audio": None,
        "frames": None,
    }
    try:
        check_wav_header(source, limits)
        info = probe(source, max_streams=limits.max_streams)
        record["info"] = info.to_dict()
        validation.check_streams(source, info, limits)
        validation.check_duration(source, info, limits.min_duration_s, limits.max_duration_s)
        if info.audio is not None:
            audio = decode.decode_audio(
                source,
                store.audio_path(key),
                info.duration_s,
                limits.max_duration_s,
                info.audio.channels,
                max_streams=limits.max_streams,
            )
            record["audio"] = audio.to_dict()
            info = validation.measured(source, info, audio.duration_s, limits.min_duration_s, limits.max_duration_s)
            record["info"] = info.to_dict()
        if info.has_video:
            frames = decode.sample_frames(source, store.frames_dir(key), info.duration_s, limits)
            record["frames"] = frames.to_dict()
            info = validation.measured(
                source, info, frames.count / frames.fps, limits.min_duration_s, limits.max_duration_s
            )
            record["info"] = info.to_dict()
    except MediaRejected as error:
        reason_file = quarantine(store, key, error, stage="decode", source=source, keep_copy=False)
        return record | {
            "status": QUARANTINED,
            "code": error.code,
            "reason": error.reason,
            "quarantine": str(reason_file),
        }
    return record | {"status": READY, "code": None, "reason": None}
