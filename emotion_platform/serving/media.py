"""One uploaded file to emotions: probe by content, check limits, decode, transcribe, classify.

No BentoML here: the service calls :func:`classify_media` with its loaded models, and so can a test.
Bad input raises a :class:`~emotion_platform.lib.errors.MediaRejected` subclass (mapped to a status
by :mod:`emotion_platform.serving.errors`); nothing is kept after the call.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.features import media_features
from emotion_platform.lib.media import decode, validation
from emotion_platform.lib.media.ids import sha256_file
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.media.probe import MediaInfo, check_wav_header, probe
from emotion_platform.lib.predict import media_summary, segment_emotions
from emotion_platform.lib.progress import Progress, enclosing_reporters
from emotion_platform.lib.transcription.base import Transcriber
from emotion_platform.lib.transcription.types import Transcript

# The share of an analysis each stage stands for, for one progress bar over all of them.
STAGE_SPANS = {"decoding": (0.0, 0.15), "transcribing": (0.15, 0.85), "classifying": (0.85, 1.0)}


def inspect_upload(path: Path, limits: MediaLimits) -> MediaInfo:
    """What the upload is, decided by ffprobe on its bytes; raises when it is not acceptable media."""
    validation.check_file(path, limits.max_bytes)
    check_wav_header(path, limits)
    info = probe(path, max_streams=limits.max_streams)
    validation.check_streams(path, info, limits)
    validation.check_duration(path, info, limits.min_duration_s, limits.max_duration_s)
    return info


def classify_media(path: Path, bundle: EmotionBundle, transcriber: Transcriber, limits: MediaLimits) -> dict:
    """Transcript segments with an emotion distribution each, and a file-level summary.

    For video, when the model has a face branch, sampled frames give each segment face-expression
    evidence (and a video without sound one segment from the faces alone).
    """
    started = time.perf_counter()
    reporters = enclosing_reporters()  # a web-page job follows its stages; an API request does not
    audio = frames = None
    with tempfile.TemporaryDirectory(prefix="emotion-upload-") as work:
        with Progress("decoding", 1, "files", reporters=reporters, every_s=0.0) as decoding:
            info = inspect_upload(path, limits)
            media_id = sha256_file(path)[:12]
            if info.audio is not None:
                decoded = decode.decode_audio(
                    path,
                    Path(work) / "audio.wav",
                    info.duration_s,
                    limits.max_duration_s,
                    info.audio.channels,
                    max_streams=limits.max_streams,
                )
                info = validation.measured(path, info, decoded.duration_s, limits.min_duration_s, limits.max_duration_s)
                audio = decode.load_audio(Path(decoded.path))
            if info.has_video and getattr(bundle, "face", None) is not None:  # frames only where faces count
                frames = Path(work) / "frames"
                sampled = decode.sample_frames(path, frames, info.duration_s, limits)
                info = validation.measured(
                    path, info, sampled.count / sampled.fps, limits.min_duration_s, limits.max_duration_s
                )
            decoding.advance()
        decoded_at = time.perf_counter()
        with Progress("transcribing", None, "windows", reporters=reporters, every_s=1.0) as transcribing:

            def windows_done(done: int, total: int) -> None:
                transcribing.total = total
                transcribing.advance(done - transcribing.done)

            transcript = (
                transcriber.transcribe(audio, windows_done)
                if audio is not None
                else Transcript.empty("no_audio", "the file has no audio track", info.duration_s)
            )
        transcribed_at = time.perf_counter()
        with Progress("classifying", 1, "files", reporters=reporters, every_s=0.0) as classifying:
            found = media_features(bundle, transcript, audio, media_id, frames=frames, descriptors=False)
            segments = segment_emotions(bundle, found)
            classifying.advance()
        finished = time.perf_counter()
    return {
        "media": {
            "id": media_id,
            "kind": info.kind,
            "format": info.format_name,
            "duration_s": info.duration_s,
            "has_audio": info.has_audio,
            "has_video": info.has_video,
        },
        "transcript": _transcript_record(transcript),
        "segments": [segment.model_dump() for segment in segments],
        "summary": media_summary(segments, found.reason).model_dump(),
        "timing_s": {
            "decode": round(decoded_at - started, 3),
            "transcribe": round(transcribed_at - decoded_at, 3),
            "classify": round(finished - transcribed_at, 3),
            "total": round(finished - started, 3),
        },
    }


def warm_up(bundle: EmotionBundle, transcriber: Transcriber) -> dict[str, float]:
    """Run every model a worker needs once (transcriber, speech encoder, text model, face network) on
    two seconds of a synthetic voiced tone, so the first upload does not pay for loading them;
    the seconds each took."""
    timings = {}
    t = np.arange(2 * SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 180 * t) + 0.15 * np.sin(2 * np.pi * 360 * t)).astype(np.float32)
    started = time.perf_counter()
    transcriber.transcribe(tone)
    timings["transcriber"] = time.perf_counter() - started
    if bundle.speech is not None:
        started = time.perf_counter()
        bundle.speech.embed([tone])
        timings["speech_encoder"] = time.perf_counter() - started
    started = time.perf_counter()
    bundle.text.predict_proba(["warming up"])
    timings["text"] = time.perf_counter() - started
    if bundle.face is not None:
        started = time.perf_counter()
        bundle.face.analyzer()
        timings["face"] = time.perf_counter() - started
    return {k: round(v, 3) for k, v in timings.items()}


def _transcript_record(transcript: Transcript) -> dict:
    return {
        "status": transcript.status,
        "reason": transcript.reason,
        "language": transcript.language,
        "speech_s": transcript.speech_s,
    }
