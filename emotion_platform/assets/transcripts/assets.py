"""The ``transcripts`` asset: Whisper segments with word timestamps for each media file."""

from pathlib import Path

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import TRANSCRIPTS_GROUP
from emotion_platform.lib.media.decode import load_audio
from emotion_platform.lib.media.prepare import PreparedMedia
from emotion_platform.lib.media.store import TRANSCRIPT_FILE
from emotion_platform.lib.transcription.render import transcript_markdown
from emotion_platform.lib.transcription.types import Transcript
from emotion_platform.resources import RECORD_IO_MANAGER, TranscriberResource
from emotion_platform.resources.record_io import stored_at


def transcribe_media(record: PreparedMedia, transcriber: TranscriberResource) -> Transcript:
    """The transcript of a prepared media record, or an empty one saying why there is none."""
    if not record.ready:
        return Transcript.empty("skipped", f"media was quarantined: {record.reason}")
    if record.audio is None:
        duration = record.info.duration_s if record.info else 0.0
        return Transcript.empty("no_audio", "the file has no audio track (video only)", duration)
    return transcriber.get().transcribe(load_audio(Path(record.audio.path)))


def transcript_metadata(transcript: Transcript) -> dict:
    meta: dict = {
        "status": transcript.status,
        "segments": len(transcript.segments),
        "words": transcript.word_count,
        "duration_s": transcript.duration_s,
        "preview": dg.MetadataValue.md(transcript_markdown(transcript)),
    }
    if transcript.reason:
        meta["reason"] = transcript.reason
    if transcript.backend:
        meta |= {
            "backend": transcript.backend,
            "model": transcript.model,
            "device": transcript.device,
            "language": transcript.language or "unknown",
            "processing_s": transcript.processing_s,
        }
    if transcript.speech_s is not None:
        meta["speech_s"] = transcript.speech_s
    if transcript.real_time_factor is not None:
        meta["real_time_factor"] = round(transcript.real_time_factor, 4)
    return meta


@dg.asset(
    partitions_def=media_partitions,
    group_name=TRANSCRIPTS_GROUP,
    kinds={"whisper"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(TRANSCRIPT_FILE, stage="transcripts"),
)
def transcripts(
    context: dg.AssetExecutionContext, media: PreparedMedia, transcriber: TranscriberResource
) -> dg.MaterializeResult[Transcript]:
    """Whisper transcript of one media file: segments, words with timestamps, language, confidences."""
    transcript = transcribe_media(media, transcriber)
    context.log.info(f"{context.partition_key}: {transcript.status}, {len(transcript.segments)} segments")
    return dg.MaterializeResult(value=transcript, metadata=transcript_metadata(transcript))
