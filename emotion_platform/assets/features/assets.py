"""``features``: each media file's segments described once, for predictions and drift alike."""

from pathlib import Path

import dagster as dg
import numpy as np

from emotion_platform.assets.partitions import media_partitions
from emotion_platform.constants import FEATURES_GROUP
from emotion_platform.lib.features import features_path, media_features
from emotion_platform.lib.media.decode import load_audio
from emotion_platform.lib.transcription.types import Transcript
from emotion_platform.resources import StorageResource
from emotion_platform.resources.mlflow import ChampionModelResource


@dg.asset(partitions_def=media_partitions, group_name=FEATURES_GROUP, kinds={"numpy", "whisper"})
def features(
    context: dg.AssetExecutionContext,
    media: dict,
    transcripts: str,
    storage: StorageResource,
    champion: ChampionModelResource,
) -> dg.MaterializeResult[str]:
    """Per segment: the speech embedding (the champion's Whisper encoder), acoustic descriptors, face evidence."""
    transcript = Transcript.model_validate_json(Path(transcripts).read_text())
    audio = load_audio(Path(media["audio"]["path"])) if media.get("audio") else None
    frames = Path(media["frames"]["directory"]) if media.get("frames") else None
    bundle, version = champion.get()
    found = media_features(bundle, transcript, audio, context.partition_key, frames=frames)
    found.meta["model_version"] = version
    path = found.save(features_path(Path(storage.root), context.partition_key))
    voiced = int((~np.isnan(found.speech).any(axis=1)).sum()) if found.speech.size else 0
    faces = int((~np.isnan(found.faces).any(axis=1)).sum())
    return dg.MaterializeResult(
        value=str(path),
        metadata={
            "segments": len(found),
            "segments_with_voice": voiced,
            "segments_with_faces": faces,
            "speech_encoder": str(bundle.speech.spec) if bundle.speech else "none",
            "model_version": version,
            "reason": found.reason or "",
            "file": dg.MetadataValue.path(str(path)),
        },
    )
