"""``segment_emotions`` and ``media_emotions``: the champion model applied to each media file."""

import base64
from pathlib import Path

import dagster as dg

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import PREDICTIONS_GROUP
from emotion_platform.lib.features import MediaFeatures
from emotion_platform.lib.predict import (
    SEGMENTS_FILE,
    SUMMARY_FILE,
    MediaSummary,
    SegmentEmotion,
    SegmentPredictions,
    media_summary,
    timeline_png,
)
from emotion_platform.lib.predict import segment_emotions as predict_segments
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource
from emotion_platform.resources.mlflow import ChampionModelResource
from emotion_platform.resources.record_io import stored_at


@dg.asset(
    partitions_def=media_partitions,
    group_name=PREDICTIONS_GROUP,
    kinds={"pytorch"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(SEGMENTS_FILE, stage="predictions"),
)
def segment_emotions(
    context: dg.AssetExecutionContext, features: MediaFeatures, champion: ChampionModelResource
) -> dg.MaterializeResult[SegmentPredictions]:
    """Per segment: the text, speech, face and fused emotion distributions and a confidence (champion model)."""
    bundle, version = champion.get()
    if bundle.speech is not None and features.speech_spec_key not in (None, bundle.speech.spec.key):
        raise dg.Failure(
            f"the features of {context.partition_key} were computed for another speech encoder "
            f"({features.speech_spec_key}, the champion reads {bundle.speech.spec.key}): "
            "materialize features again"
        )
    segments = predict_segments(bundle, features)
    face_model = bundle.face.model_name if bundle.face is not None else None
    record = SegmentPredictions(
        media_id=context.partition_key,
        model_version=version,
        segments=segments,
        transcript_status=features.meta.get("transcript_status"),
        reason=features.reason,
        face_model=face_model,
    )
    rows = ["| start | end | top | confidence | face | text |", "|---|---|---|---|---|---|"] + [
        f"| {s.start:.2f} | {s.end:.2f} | {s.top}{' (low)' if s.low_confidence else ''} | "
        f"{s.confidence} | {_face_cell(s)} | {(s.text or '(no words)').replace('|', '/')} |"
        for s in segments[:30]
    ]
    with_faces = sum(1 for s in segments if s.face_branch)
    return dg.MaterializeResult(
        value=record,
        metadata={
            "segments": len(segments),
            "model_version": version,
            "face_branch": face_model or "none in this model",
            "segments_with_faces": with_faces,
            "low_confidence_segments": sum(1 for s in segments if s.low_confidence),
            "preview": dg.MetadataValue.md("\n".join(rows) if segments else f"no segments: {features.reason}"),
        },
    )


def _face_cell(segment: SegmentEmotion) -> str:
    evidence = segment.face_evidence
    if evidence is None:
        return "-"
    if not segment.face_branch:
        return f"no face in {evidence['frames']} frames"
    top = max(segment.face_branch, key=segment.face_branch.__getitem__)
    return f"{top} ({evidence['faces']} faces / {evidence['frames']} frames)"


@dg.asset(
    partitions_def=media_partitions,
    group_name=PREDICTIONS_GROUP,
    kinds={"pandas"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(SUMMARY_FILE),
)
def media_emotions(
    context: dg.AssetExecutionContext, segment_emotions: SegmentPredictions, storage: StorageResource
) -> dg.MaterializeResult[MediaSummary]:
    """The file-level summary: duration-weighted emotion distribution, dominant emotion, timeline plot."""
    summary = media_summary(segment_emotions.segments, segment_emotions.reason).model_copy(
        update={"media_id": context.partition_key, "model_version": segment_emotions.model_version}
    )
    metadata: dict = {
        "dominant": summary.dominant or "none",
        "segments": summary.segments,
        "confidence": summary.confidence if summary.confidence is not None else float("nan"),
        "reason": summary.reason or "",
        "model_version": segment_emotions.model_version,
    }
    if summary.emotions:
        timeline = Path(storage.root) / "predictions" / f"{context.partition_key}.timeline.png"
        png = timeline_png(segment_emotions.segments, timeline, context.partition_key)
        encoded = base64.b64encode(png.read_bytes()).decode()
        metadata["timeline"] = dg.MetadataValue.md(f"![emotion timeline](data:image/png;base64,{encoded})")
        metadata["distribution"] = dg.MetadataValue.json(summary.emotions)
    return dg.MaterializeResult(value=summary, metadata=metadata)
