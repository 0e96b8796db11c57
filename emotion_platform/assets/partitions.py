"""Partitions shared by the per-media-file assets."""

import dagster as dg

from emotion_platform.constants import MEDIA_PARTITIONS_NAME

media_partitions = dg.DynamicPartitionsDefinition(name=MEDIA_PARTITIONS_NAME)
