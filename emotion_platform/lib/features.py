"""What each segment of a media file is described by, computed once and read by predictions and drift.

Per segment (a transcript segment, or for a video without words one span over the whole file):
its time span and words, the speech embedding of its audio (the speech branch's input), the acoustic
descriptors (pitch, loudness, rate: drift columns), and for video the face distribution of the faces
seen in its frames with the evidence. A value a segment cannot have is a NaN row (no voice, no face).

The speech branch only reads spans where the transcriber recognised words: a tone, music, noise or
silence has no words, so it gets no speech emotion, and the record says why (``reason``).

Stored as ``<data>/features/<media_id>.npz`` (arrays) with the rest as JSON inside, written atomically.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emotion_platform.lib import atomic
from emotion_platform.lib.acoustic.features import FEATURE_NAMES, feature_vector
from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.transcription.types import Transcript

FEATURES_VERSION = 1
FEATURES_FILE = "features/{partition}.npz"
"""Where the record IO manager keeps each file's features, under the storage root."""
MIN_DESCRIPTOR_SAMPLES = SAMPLE_RATE // 10
NO_WORDS = "no words were recognised, so the voice is not read as speech"


@dataclass
class MediaFeatures:
    """Per-segment features of one media file (row i of every array is segment i)."""

    media_id: str
    spans: list[tuple[float, float]]
    texts: list[str | None]
    speech: np.ndarray  # (n, dim), NaN rows: no voice
    descriptors: np.ndarray  # (n, len(FEATURE_NAMES)), NaN rows: no audio / too short
    faces: np.ndarray  # (n, 7), NaN rows: no face seen
    face_evidence: list[dict | None]
    speech_spec_key: str | None = None
    reason: str | None = None  # why there are no segments, or no speech branch
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.spans)

    def save(self, dest: Path, stage: str | None = None) -> Path:
        """Write the arrays and the rest (as JSON inside) to ``dest`` atomically."""
        record = {
            "version": FEATURES_VERSION,
            "media_id": self.media_id,
            "spans": self.spans,
            "texts": self.texts,
            "face_evidence": self.face_evidence,
            "speech_spec_key": self.speech_spec_key,
            "reason": self.reason,
            "meta": self.meta,
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            speech=self.speech,
            descriptors=self.descriptors,
            faces=self.faces,
            record=np.array(json.dumps(record)),
        )
        return atomic.write_bytes(Path(dest), buffer.getvalue(), stage)

    @classmethod
    def load(cls, path: Path) -> MediaFeatures:
        data = np.load(path)
        record = json.loads(str(data["record"]))
        if record.get("version") != FEATURES_VERSION:
            raise ValueError(
                f"{path}: features v{record.get('version')}, expected v{FEATURES_VERSION}: "
                "materialize the features asset again"
            )
        return cls(
            record["media_id"],
            [tuple(s) for s in record["spans"]],
            record["texts"],
            data["speech"],
            data["descriptors"],
            data["faces"],
            record["face_evidence"],
            record["speech_spec_key"],
            record["reason"],
            record["meta"],
        )


def features_path(data_root: Path, media_id: str) -> Path:
    """Where the ``features`` asset's record of ``media_id`` is stored."""
    return Path(data_root) / FEATURES_FILE.format(partition=media_id)


def _spans(
    transcript: Transcript, audio: np.ndarray | None, frames: FrameIndex | None, use_faces: bool
) -> tuple[list[tuple[float, float, str | None]], str | None]:
    if transcript.segments:
        return [(s.start, s.end, s.text) for s in transcript.segments], None
    reason = transcript.reason or NO_WORDS
    if use_faces:
        assert frames is not None  # faces are read only from sampled frames
        return [(0.0, frames.duration_s, None)], f"{reason}; the faces alone are read"
    return [], reason


def media_features(
    bundle,
    transcript: Transcript,
    audio: np.ndarray | None,
    media_id: str,
    *,
    frames: Path | str | FrameIndex | None = None,
    descriptors: bool = True,
) -> MediaFeatures:
    """Every segment's features under ``bundle`` (its speech encoder and face branch).

    ``frames`` is a video's sampled-frames folder (``index.json`` + JPEGs) or its index; without it,
    or when the bundle has no face branch, faces are NaN. ``descriptors=False`` skips the acoustic
    descriptors (the service does not need them; the drift columns do).
    """
    index = FrameIndex.read(frames) if isinstance(frames, str | Path) else frames
    use_faces = bundle.face is not None and index is not None and bool(index.frames)
    spans, reason = _spans(transcript, audio, index, use_faces)
    n = len(spans)
    speech_dim = bundle.speech.spec.dim if bundle.speech is not None else 0
    speech = np.full((n, speech_dim), np.nan, dtype=np.float32)
    described = np.full((n, len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    clips = [
        None if audio is None or text is None else audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]
        for a, b, text in spans
    ]
    voiced = [i for i, c in enumerate(clips) if c is not None and c.size]
    if voiced and bundle.speech is not None:
        speech[voiced] = bundle.speech.embed([clips[i] for i in voiced])
    if descriptors:
        for i in voiced:
            clip = clips[i]
            if clip is not None and clip.size >= MIN_DESCRIPTOR_SAMPLES:
                described[i] = feature_vector(clip)
    faces = np.full((n, len(EMOTIONS)), np.nan)
    evidence: list[dict | None] = [None] * n
    if use_faces and n:
        span_faces = bundle.face.analyzer().spans(index, [(a, b) for a, b, _ in spans])
        for i, found in enumerate(span_faces):
            evidence[i] = found.evidence()
            if found.mean is not None:
                faces[i] = bundle.face.distribution(found.mean)
    if audio is not None and bundle.speech is None and n:
        reason = "the model has no speech branch"
    return MediaFeatures(
        media_id,
        [(float(a), float(b)) for a, b, _ in spans],
        [t for _, _, t in spans],
        speech,
        described,
        faces,
        evidence,
        bundle.speech.spec.key if bundle.speech is not None else None,
        reason,
        {"transcript_status": transcript.status},
    )
