"""Jobs: named selections of assets that sensors and people launch."""

import dagster as dg

media_pipeline_job = dg.define_asset_job(
    name="media_pipeline",
    selection=dg.AssetSelection.groups("media", "transcripts"),
    description="Decode and transcribe one media file (one partition).",
)
