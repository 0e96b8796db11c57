"""Jobs: named selections of assets that sensors and people launch."""

import dagster as dg

from emotion_platform.assets.partitions import media_partitions

media_pipeline_job = dg.define_asset_job(
    name="media_pipeline",
    selection=dg.AssetSelection.groups("media", "transcripts"),
    partitions_def=media_partitions,
    description="Decode and transcribe one media file (one partition).",
)
