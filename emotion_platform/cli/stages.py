"""The DVC pipeline's stages (dvc.yaml calls them): dataset prepare, model train, model evaluate."""

from __future__ import annotations

from pathlib import Path

import click

from emotion_platform.cli import console, main
from emotion_platform.settings import get_settings


def _path_option(*names: str, default: str, help: str):
    return click.option(*names, type=click.Path(path_type=Path), default=Path(default), show_default=True, help=help)


def _stage_options(command):
    """Options shared by the DVC pipeline's stages (dvc.yaml passes them explicitly)."""
    command = _path_option("--reports-dir", default="reports", help="Where metrics and plots files are written.")(
        command
    )
    command = _path_option(
        "--data-dir", default="data", help="The platform's data folder for this stage (relative to the repository)."
    )(command)
    return _path_option(
        "--params", "params_file", default="params.yaml", help="Parameters file (sections datasets, train, evaluate)."
    )(command)


def _run_stage(stage: str, params_file: Path, data_dir: Path, reports_dir: Path) -> dict:
    import dagster as dg

    from emotion_platform import dvc_stages
    from emotion_platform.instance import ensure_dagster_home

    params = dvc_stages.read_params(params_file)
    paths = dvc_stages.StagePaths(data_dir, reports_dir)
    settings = dvc_stages.stage_settings(get_settings(), params, paths)
    ensure_dagster_home(settings)
    with dg.DagsterInstance.get() as instance:
        outcome = getattr(dvc_stages, stage)(settings, params, instance, paths)
    console.print_json(data={k: v for k, v in outcome.items() if not isinstance(v, dict)})
    return outcome


@main.group()
def dataset() -> None:
    """Training data from the labelled datasets (read in place, never copied)."""


@dataset.command("prepare")
@_stage_options
def dataset_prepare(params_file: Path, data_dir: Path, reports_dir: Path) -> None:
    """Observe the datasets (DVC hashes as data versions) and build the training examples and splits."""
    _run_stage("prepare", params_file, data_dir, reports_dir)


@main.group()
def model() -> None:
    """Train and evaluate a candidate model from files (the DVC pipeline's stages)."""


@model.command("train")
@_stage_options
def model_train(params_file: Path, data_dir: Path, reports_dir: Path) -> None:
    """Train a candidate on data/training/splits.parquet with the hyperparameters of params.yaml (train)."""
    _run_stage("train", params_file, data_dir, reports_dir)


@model.command("evaluate")
@_stage_options
def model_evaluate(params_file: Path, data_dir: Path, reports_dir: Path) -> None:
    """Evaluate the candidate on the test splits and run the promotion gate; promotes nothing."""
    _run_stage("evaluate", params_file, data_dir, reports_dir)
