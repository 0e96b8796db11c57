"""Names shared across the code location: asset groups, partitions, tags."""

MEDIA_GROUP = "media"
TRANSCRIPTS_GROUP = "transcripts"
FEATURES_GROUP = "features"
MODELS_GROUP = "models"
DRIFT_GROUP = "drift"
SERVING_GROUP = "serving"
PREDICTIONS_GROUP = "predictions"

MEDIA_PARTITIONS_NAME = "media_files"
