"""The models group's run config takes its defaults from the library's plan; no second set of defaults."""

from emotion_platform.assets.models.run_config import TextModelConfig
from emotion_platform.lib.candidate import CandidatePlan


def test_the_run_config_defaults_are_the_candidate_plans() -> None:
    assert TextModelConfig().plan() == CandidatePlan()
    config = TextModelConfig(epochs=3, search_learning_rates=[1e-4, 3e-4])
    assert config.plan() == CandidatePlan(epochs=3, search_learning_rates=(1e-4, 3e-4))
