"""Model commands: prepare the Whisper weights, train and promote, roll back."""

from __future__ import annotations

import click
from rich.table import Table

from emotion_platform.cli import console, main
from emotion_platform.settings import get_settings


@main.command("prepare-models")
@click.option(
    "--model",
    "models",
    multiple=True,
    default=("tiny.en",),
    show_default=True,
    help="Whisper model(s) to prepare: tiny.en, base.",
)
def prepare_models(models: tuple[str, ...]) -> None:
    """Verify the shipped Whisper weights by hash and convert them for openai-whisper (once, cached)."""
    from emotion_platform.lib.whisper import ctranslate2_model_dir, openai_whisper_checkpoint

    cache = get_settings().cache_dir
    for name in models:
        ct2 = ctranslate2_model_dir(name, cache)
        pt = openai_whisper_checkpoint(name, cache)
        console.print(f"[green]ok[/] {name}: CTranslate2 {ct2}  openai-whisper {pt}")


def _train(short: bool, min_weighted_f1: float | None) -> bool:
    """Train with the short or the full plan of params.yaml; True when the gate passed."""
    import dagster as dg

    from emotion_platform.instance import ensure_dagster_home
    from emotion_platform.params import read_params, training_plan
    from emotion_platform.runs import train_and_promote

    ensure_dagster_home()
    settings = get_settings()
    plan = training_plan(read_params(), full=not short)  # a ParamsError is printed as one line
    console.print(f"training ({plan.name} configuration): {plan.train}")
    with dg.DagsterInstance.get() as instance:
        result = train_and_promote(instance, plan.train, plan.evaluate, min_weighted_f1)
    if not result.asset_materializations_for_node("model_evaluation"):
        raise click.ClickException(f"training run {result.run_id} failed; see it in the Dagster UI")
    meta = result.asset_materializations_for_node("model_evaluation")[0].metadata
    gate = next(e for e in result.get_asset_check_evaluations() if e.check_name == "promotion_gate")
    table = Table(title=f"model version {meta['version'].value} (MLflow: {settings.tracking_uri})")
    for column in ("test weighted F1", "macro F1", "accuracy", "ECE", "p95 ms", "size MB", "gate"):
        table.add_column(column)
    table.add_row(
        *(f"{meta[k].value:.3f}" for k in ("weighted_f1", "macro_f1", "accuracy", "ece")),
        f"{meta['latency_p95_ms'].value:.1f}",
        f"{meta['size_mb'].value:.0f}",
        "passed" if gate.passed else "refused",
    )
    console.print(table)
    console.print(f"gate: {gate.metadata['reasons'].value}")
    return gate.passed


@main.command()
@click.option(
    "--full",
    is_flag=True,
    help="The full plan of params.yaml: the full MELD training split, 5 epochs, the best on validation kept "
    "(30-45 min on 2 cores).",
)
@click.option("--min-weighted-f1", type=float, default=None, help="Override the gate's quality floor.")
def train(full: bool, min_weighted_f1: float | None) -> None:
    """Train a candidate (the short plan of params.yaml, or --full), evaluate it and promote it if the gate passes."""
    _train(short=not full, min_weighted_f1=min_weighted_f1)


@main.command()
def rollback() -> None:
    """Give the champion alias back to the previous champion."""
    from emotion_platform.lib.tracking import ModelRegistry

    settings = get_settings()
    restored, demoted = ModelRegistry(settings.tracking_uri, settings.registered_model).rollback()
    console.print(
        f"{settings.registered_model}: champion is version {restored} again (version {demoted} demoted "
        "to previous-champion)"
    )
