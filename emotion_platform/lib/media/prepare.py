"""Turning an admitted file into decoded audio and sampled frames, or a quarantine record."""

from __future__ import annotations

from typing import Literal

from emotion_platform.lib.errors import MediaRejected
from emotion_platform.lib.media import decode, validation
from emotion_platform.lib.media.admission import read_manifest, stored_file
from emotion_platform.lib.media.decode import AudioSummary, FramesSummary
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.media.probe import MediaInfo, check_wav_header, probe
from emotion_platform.lib.media.quarantine import quarantine
from emotion_platform.lib.media.store import MediaStore
from emotion_platform.lib.records import JsonRecord

READY = "ready"
QUARANTINED = "quarantined"


class PreparedMedia(JsonRecord):
    """One admitted file after probing and decoding: ``ready`` (with what decoding wrote) or
    ``quarantined`` (with the reason's ``code``, the ``reason`` and its quarantine record)."""

    media_id: str
    sha256: str
    original_name: str
    source: str
    status: Literal["ready", "quarantined"]
    info: MediaInfo | None = None
    audio: AudioSummary | None = None
    frames: FramesSummary | None = None
    code: str | None = None
    reason: str | None = None
    quarantine: str | None = None

    @property
    def ready(self) -> bool:
        return self.status == READY


def prepare_media(key: str, store: MediaStore, limits: MediaLimits) -> PreparedMedia:
    """Probe, check and decode one admitted file. Never raises for bad media: it quarantines it."""
    manifest = read_manifest(store, key)
    source = stored_file(store, key)
    found: dict = {"info": None, "audio": None, "frames": None}
    try:
        check_wav_header(source, limits)
        info = probe(source, max_streams=limits.max_streams)
        found["info"] = info
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
            found["audio"] = audio
            info = validation.measured(source, info, audio.duration_s, limits.min_duration_s, limits.max_duration_s)
            found["info"] = info
        if info.has_video:
            frames = decode.sample_frames(source, store.frames_dir(key), info.duration_s, limits)
            found["frames"] = frames
            info = validation.measured(
                source, info, frames.count / frames.fps, limits.min_duration_s, limits.max_duration_s
            )
            found["info"] = info
    except MediaRejected as error:
        reason_file = quarantine(store, key, error, stage="decode", source=source, keep_copy=False)
        found |= {"status": QUARANTINED, "code": error.code, "reason": error.reason, "quarantine": str(reason_file)}
    else:
        found["status"] = READY
    return PreparedMedia(
        media_id=key,
        sha256=manifest["sha256"],
        original_name=manifest["original_name"],
        source=str(source),
        **found,
    )
