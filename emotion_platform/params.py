"""The training plans, from ``params.yaml`` at the repository root: the one place they are written.

    datasets   the labelled datasets and which of them are read (the DVC ``prepare`` stage)
    train      the candidate's run config (``TextModelConfig``): the short plan, what ``dvc repro``,
               ``emotion-platform train`` and the demo train
    evaluate   the evaluation's run config (``EvaluationConfig``)
    full       overrides of ``train`` and ``evaluate`` for the full plan (``emotion-platform train --full``)

The DVC stages (:mod:`emotion_platform.dvc_stages`) and the CLI read it through :func:`read_params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from emotion_platform.lib.errors import ConfigError
from emotion_platform.settings import PROJECT_ROOT

PARAMS_FILE = PROJECT_ROOT / "params.yaml"
SECTIONS = ("datasets", "train", "evaluate")
FULL = "full"


class ParamsError(ConfigError):
    """``params.yaml`` is missing or lacks a section; the message says which."""


@dataclass(frozen=True)
class TrainingPlan:
    """The run configs of one training plan: the candidate (``train``) and its evaluation (``evaluate``)."""

    name: str
    train: dict = field(default_factory=dict)
    evaluate: dict = field(default_factory=dict)


def read_params(path: Path = PARAMS_FILE) -> dict:
    """The parameters of ``path``; a clear error when it or one of :data:`SECTIONS` is missing."""
    path = Path(path)
    if not path.exists():
        raise ParamsError(f"{path} not found: the pipeline's parameters live in params.yaml at the repository root")
    params = yaml.safe_load(path.read_text()) or {}
    missing = [s for s in SECTIONS if not isinstance(params.get(s), dict)]
    if missing:
        raise ParamsError(f"{path} lacks the section(s) {missing}")
    return params


def training_plan(params: dict, full: bool = False) -> TrainingPlan:
    """The short plan (``train``, ``evaluate``), or the full one: the same with the ``full`` section's overrides."""
    if not full:
        return TrainingPlan("short", dict(params["train"]), dict(params["evaluate"]))
    overrides = params.get(FULL)
    if not isinstance(overrides, dict):
        raise ParamsError(f"params.yaml has no {FULL!r} section: there is no full training plan")
    return TrainingPlan(
        "full",
        params["train"] | (overrides.get("train") or {}),
        params["evaluate"] | (overrides.get("evaluate") or {}),
    )
