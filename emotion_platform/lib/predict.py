"""Emotions of a media file: per transcript segment, and a summary over the whole file.

For video, each segment's face evidence comes from the frames sampled within its time span
(:mod:`emotion_platform.lib.face`); a video without speech is one span over the whole file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotion_platform.lib import atomic
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.face.frames import FrameIndex
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.transcription.types import Transcript

SAMPLE_RATE = 16_000


def _dist(row: np.ndarray | None, i: int) -> dict[str, float] | None:
    if row is None or np.isnan(row[i]).any():
        return None
    return {e: round(float(p), 4) for e, p in zip(EMOTIONS, row[i], strict=True)}


def segment_emotions(bundle: EmotionBundle, transcript: Transcript, audio: np.ndarray | None,
                     media_id: str, *, frames: Path | str | FrameIndex | None = None) -> list[dict]:
    """One record per transcript segment: times, text, each branch's and the fused distribution.

    ``frames`` is the video's sampled-frames folder (``index.json`` + JPEGs, as the media stage
    writes it) or its :class:`FrameIndex`; when given and the bundle has a face branch, each record
    carries ``face_branch`` (None where no face was found in the span) and ``face_evidence``.
    Without words, audio (at least 0.5 s) or else a video's frames become one segment over the whole
    file, classified by the acoustic and/or face branch.
    """
    index = FrameIndex.read(frames) if isinstance(frames, str | Path) else frames
    use_faces = bundle.face is not None and index is not None and bool(index.frames)
    if transcript.segments:
        spans = [(s.start, s.end, s.text) for s in transcript.segments]
    elif audio is not None and audio.size >= SAMPLE_RATE // 2:
        spans = [(0.0, audio.size / SAMPLE_RATE, None)]
    elif use_faces:
        spans = [(0.0, index.duration_s, None)]
    else:
        return []
    clips = [audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] if audio is not None else None for a, b, _ in spans]
    span_faces = bundle.face.analyzer().spans(index, [(a, b) for a, b, _ in spans]) if use_faces else None
    face_dists = [bundle.face.distribution(f.mean) for f in span_faces] if span_faces else None
    out = bundle.predict_segments([t for _, _, t in spans], clips, group=media_id, faces=face_dists)
    records = []
    for i, (start, end, text) in enumerate(spans):
        fused = _dist(out["fused"], i)
        records.append({
            "start": start, "end": end, "text": text,
            "text_branch": _dist(out["text"], i), "acoustic_branch": _dist(out["acoustic"], i),
            "face_branch": _dist(out["face"], i),
            "face_evidence": span_faces[i].evidence() if span_faces else None,
            "emotions": fused, "top": max(fused, key=fused.get) if fused else None,
        })
    return records


def media_summary(segments: list[dict]) -> dict:
    """Duration-weighted mean distribution, the dominant emotion and its share of the time."""
    scored = [s for s in segments if s["emotions"]]
    if not scored:
        return {"segments": 0, "emotions": None, "dominant": None}
    weights = np.array([max(s["end"] - s["start"], 1e-3) for s in scored])
    matrix = np.array([[s["emotions"][e] for e in EMOTIONS] for s in scored])
    mean = (matrix * weights[:, None]).sum(0) / weights.sum()
    tops = [s["top"] for s in scored]
    share = {e: round(float(weights[[t == e for t in tops]].sum() / weights.sum()), 3) for e in EMOTIONS}
    dominant = EMOTIONS[int(mean.argmax())]
    return {"segments": len(scored), "emotions": {e: round(float(p), 4) for e, p in zip(EMOTIONS, mean, strict=True)},
            "dominant": dominant, "time_share_by_top_emotion": share, "seconds": round(float(weights.sum()), 2)}


def timeline_png(segments: list[dict], dest: Path, title: str) -> Path:
    """A stacked emotion timeline (one bar per segment, width = its duration), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"anger": "#d62728", "disgust": "#8c564b", "fear": "#9467bd", "joy": "#ffbf00",
              "neutral": "#aaaaaa", "sadness": "#1f77b4", "surprise": "#2ca02c"}
    fig, ax = plt.subplots(figsize=(8, 2.6))
    for seg in (s for s in segments if s["emotions"]):
        bottom = 0.0
        for emotion in EMOTIONS:
            p = seg["emotions"][emotion]
            ax.bar(seg["start"], p, width=max(seg["end"] - seg["start"], 0.05), bottom=bottom, align="edge",
                   color=colors[emotion], edgecolor="white", linewidth=0.3)
            bottom += p
    ax.set_xlabel("seconds")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colors[e]) for e in EMOTIONS], labels=list(EMOTIONS),
              fontsize=7, ncol=7, loc="upper center", bbox_to_anchor=(0.5, -0.35), frameon=False)
    fig.tight_layout()
    with atomic.atomic_path(dest) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return dest
