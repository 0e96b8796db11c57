"""The training plans of the repository's params.yaml, and the errors of a file that lacks one."""

from __future__ import annotations

import pytest
import yaml

from emotion_platform.assets.models.run_config import EvaluationConfig, TextModelConfig
from emotion_platform.params import PARAMS_FILE, ParamsError, read_params, training_plan


def test_the_short_and_full_plans_are_valid_run_configs() -> None:
    params = read_params()
    short, full = training_plan(params), training_plan(params, full=True)
    assert short.name == "short" and full.name == "full"
    for plan in (short, full):
        TextModelConfig(**plan.train)
        EvaluationConfig(**plan.evaluate)
    assert (short.train["epochs"], short.train["max_train_examples"], short.evaluate["max_test_examples"]) == (
        2,
        1500,
        800,
    )
    assert (full.train["epochs"], full.train["learning_rate"], full.train["max_train_examples"]) == (5, 8e-5, None)
    assert full.evaluate == {**short.evaluate, "max_test_examples": None}
    assert {k: v for k, v in full.train.items() if k not in params["full"]["train"]} == {
        k: v for k, v in short.train.items() if k not in params["full"]["train"]
    }


def test_a_missing_file_section_or_full_plan_is_named(tmp_path) -> None:
    with pytest.raises(ParamsError, match="not found"):
        read_params(tmp_path / "params.yaml")
    params = yaml.safe_load(PARAMS_FILE.read_text())
    del params["evaluate"], params["full"]
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    with pytest.raises(ParamsError, match="evaluate"):
        read_params(path)
    params["evaluate"] = {"max_test_examples": 10}
    path.write_text(yaml.safe_dump(params))
    assert training_plan(read_params(path)).evaluate == {"max_test_examples": 10}
    with pytest.raises(ParamsError, match="no 'full' section"):
        training_plan(read_params(path), full=True)
