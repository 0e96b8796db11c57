"""Emotions of a media file: per segment (from its :class:`MediaFeatures`), and a summary over the file.

Each segment carries each branch's distribution, the fused one, its top emotion and a confidence
(the top fused probability). A segment whose fused distribution is flat (confidence below
:data:`LOW_CONFIDENCE`) is flagged ``low_confidence``: its top emotion is a guess, not an answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel

from emotion_platform.lib import atomic
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.features import MediaFeatures
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.records import JsonRecord

LOW_CONFIDENCE = 0.40
"""Below this top fused probability a segment is reported as low-confidence (7 classes: uniform is 0.14)."""
SEGMENTS_FILE = "predictions/{partition}.segments.json"
SUMMARY_FILE = "predictions/{partition}.summary.json"
"""Where the record IO manager keeps each file's segment emotions and summary, under the storage root."""

Distribution = dict[str, float]
"""Probability per emotion (:data:`~emotion_platform.lib.labels.EMOTIONS`)."""


class SegmentEmotion(BaseModel):
    """One segment: its time span and words, each branch's distribution, the fused one and its confidence.

    A branch that had nothing to read (no words, no voice, no face) has ``None``.
    """

    start: float
    end: float
    text: str | None
    text_branch: Distribution | None
    speech_branch: Distribution | None
    face_branch: Distribution | None
    face_evidence: dict | None
    emotions: Distribution | None
    top: str | None
    confidence: float | None
    low_confidence: bool


class SegmentPredictions(JsonRecord):
    """The ``segment_emotions`` asset's record: every segment of one media file, by one model version."""

    media_id: str
    model_version: str
    segments: list[SegmentEmotion]
    transcript_status: str | None = None
    reason: str | None = None
    face_model: str | None = None


class MediaSummary(JsonRecord):
    """A file's emotions over its whole length (the ``media_emotions`` asset; the service's summary).

    Without a classified segment only ``reason`` says something: why there is nothing to summarise.
    """

    segments: int
    emotions: Distribution | None
    dominant: str | None
    confidence: float | None
    reason: str | None
    low_confidence_share: float | None = None
    time_share_by_top_emotion: Distribution | None = None
    seconds: float | None = None
    media_id: str | None = None
    model_version: str | None = None


def _dist(row: np.ndarray) -> dict[str, float] | None:
    if np.isnan(row).any():
        return None
    return {e: round(float(p), 4) for e, p in zip(EMOTIONS, row, strict=True)}


def segment_emotions(bundle: EmotionBundle, features: MediaFeatures) -> list[SegmentEmotion]:
    """One record per segment: times, text, each branch's and the fused distribution, confidence."""
    if not len(features):
        return []
    out = bundle.predict_segments(features.texts, features.speech, features.faces)
    records = []
    for i, ((start, end), text) in enumerate(zip(features.spans, features.texts, strict=True)):
        fused = _dist(out["fused"][i])
        confidence = round(max(fused.values()), 4) if fused else None
        records.append(
            SegmentEmotion(
                start=start,
                end=end,
                text=text,
                text_branch=_dist(out["text"][i]),
                speech_branch=_dist(out["speech"][i]),
                face_branch=_dist(out["face"][i]),
                face_evidence=features.face_evidence[i],
                emotions=fused,
                top=max(fused, key=fused.__getitem__) if fused else None,
                confidence=confidence,
                low_confidence=confidence is not None and confidence < LOW_CONFIDENCE,
            )
        )
    return records


def media_summary(segments: list[SegmentEmotion], reason: str | None = None) -> MediaSummary:
    """Duration-weighted mean distribution, the dominant emotion, its share of the time, and confidence.

    ``reason`` says why there is nothing to summarise (no words and no faces), when that is the case.
    """
    scored = [(s, s.emotions) for s in segments if s.emotions]
    if not scored:
        return MediaSummary(
            segments=0, emotions=None, dominant=None, confidence=None, reason=reason or "no segment could be classified"
        )
    weights = np.array([max(s.end - s.start, 1e-3) for s, _ in scored])
    matrix = np.array([[emotions[e] for e in EMOTIONS] for _, emotions in scored])
    mean = (matrix * weights[:, None]).sum(0) / weights.sum()
    tops = [s.top for s, _ in scored]
    share = {e: round(float(weights[[t == e for t in tops]].sum() / weights.sum()), 3) for e in EMOTIONS}
    low = np.array([s.low_confidence for s, _ in scored])
    return MediaSummary(
        segments=len(scored),
        emotions={e: round(float(p), 4) for e, p in zip(EMOTIONS, mean, strict=True)},
        dominant=EMOTIONS[int(mean.argmax())],
        confidence=round(float(mean.max()), 4),
        low_confidence_share=round(float(weights[low].sum() / weights.sum()), 3),
        time_share_by_top_emotion=share,
        seconds=round(float(weights.sum()), 2),
        reason=reason,
    )


COLORS = {
    "anger": "#d62728",
    "disgust": "#8c564b",
    "fear": "#9467bd",
    "joy": "#ffbf00",
    "neutral": "#aaaaaa",
    "sadness": "#1f77b4",
    "surprise": "#2ca02c",
}


def timeline_png(segments: list[SegmentEmotion], dest: Path, title: str) -> Path:
    """A stacked emotion timeline (one bar per segment, width = its duration), written atomically.

    Low-confidence segments are drawn faded and hatched, so a flat guess does not look like an answer.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.6))
    for seg in segments:
        if not seg.emotions:
            continue
        bottom = 0.0
        low = seg.low_confidence
        for emotion in EMOTIONS:
            p = seg.emotions[emotion]
            ax.bar(
                seg.start,
                p,
                width=max(seg.end - seg.start, 0.05),
                bottom=bottom,
                align="edge",
                color=COLORS[emotion],
                edgecolor="white",
                linewidth=0.3,
                alpha=0.35 if low else 1.0,
                hatch="//" if low else None,
            )
            bottom += p
    ax.set_xlabel("seconds (hatched: low confidence)")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=COLORS[e]) for e in EMOTIONS],
        labels=list(EMOTIONS),
        fontsize=7,
        ncol=len(EMOTIONS),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.35),
        frameon=False,
    )
    fig.tight_layout()
    with atomic.atomic_path(dest) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return dest
