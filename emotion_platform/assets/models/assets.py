"""The models group's assets and checks, in the order they run (definitions, jobs and the CLI load these)."""

from emotion_platform.assets.models.candidate import emotion_model
from emotion_platform.assets.models.champion import champion_model
from emotion_platform.assets.models.evaluation import model_evaluation, promotion_gate
from emotion_platform.assets.models.training_data import splits, training_examples

TRAINING_ASSETS = [training_examples, splits, emotion_model, model_evaluation, champion_model]
TRAINING_CHECKS = [promotion_gate]
