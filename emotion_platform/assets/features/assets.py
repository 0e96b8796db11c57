"""``features``: each media file's segments described once, for predictions and drift alike."""

from pathlib import Path

import dagster as dg
import numpy as np

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import FEATURES_GROUP
from emotion_platform.lib.features import FEATURES_FILE, MediaFeatures, media_features
from emotion_platform.lib.media.decode import load_audio
from emotion_platform.lib.media.prepare import PreparedMedia
from emotion_platform.lib.transcription.types import Transcript
from emotion_platform.resources import RECORD_IO_MANAGER
from emotion_platform.resources.mlflow import ChampionModelResource
from emotion_platform.resources.record_io import stored_at


@dg.asset(
    partitions_def=media_partitions,
    group_name=FEATURES_GROUP,
    kinds={"numpy", "whisper"},
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(FEATURES_FILE),
)
def features(
    context: dg.AssetExecutionContext,
    media: PreparedMedia,
    transcripts: Transcript,
    champion: ChampionModelResource,
) -> dg.MaterializeResult[MediaFeatures]:
    """Per segment: the speech embedding (the champion's Whisper encoder), acoustic descriptors, face evidence."""
    audio = load_audio(Path(media.audio.path)) if media.audio else None
    frames = Path(media.frames.directory) if media.frames else None
    bundle, version = champion.get()
    found = media_features(bundle, transcripts, audio, context.partition_key, frames=frames)
    found.meta["model_version"] = version
    voiced = int((~np.isnan(found.speech).any(axis=1)).sum()) if found.speech.size else 0
    faces = int((~np.isnan(found.faces).any(axis=1)).sum())
    return dg.MaterializeResult(
        value=found,
        metadata={
            "segments": len(found),
            "segments_with_voice": voiced,
            "segments_with_faces": faces,
            "speech_encoder": str(bundle.speech.spec) if bundle.speech else "none",
            "model_version": version,
            "reason": found.reason or "",
        },
    )
