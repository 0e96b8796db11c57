"""``emotion-platform``: the command line of the platform.

    emotion-platform prepare-models      verify and convert the offline Whisper weights
    emotion-platform samples             gather the real sample media into data/samples
    emotion-platform ingest              process everything new in the inbox (no server needed)
    emotion-platform demo                samples -> inbox -> ingest, then a summary
    emotion-platform quarantine          list rejected files and why
    emotion-platform metrics             serve the platform's Prometheus metrics
    emotion-platform dataset prepare     DVC stage: training examples and splits (params.yaml)
    emotion-platform model train         DVC stage: train a candidate (params.yaml)
    emotion-platform model evaluate      DVC stage: evaluate the candidate and run the gate

Commands live by group: ``media`` (samples, ingest, predict, quarantine, demo), ``models``
(prepare-models, train, rollback), ``operations`` (where, metrics), ``stages`` (the DVC stages).
"""

from __future__ import annotations

import logging
import os
import sys

import click
from rich.console import Console

from emotion_platform.lib.errors import EmotionPlatformError
from emotion_platform.lib.logs import configure as configure_logs
from emotion_platform.settings import get_settings

console = Console(width=None if sys.stdout.isatty() else 140)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TQDM_DISABLE", "1")


class PlatformGroup(click.Group):
    """Commands that fail on purpose end with one line, not a traceback, and a non-zero exit status:
    any :class:`EmotionPlatformError` (the exception tree in ``emotion_platform/lib/errors.py``), and
    storage that went away."""

    def invoke(self, ctx: click.Context):
        from dagster_postgres.utils import DagsterPostgresException
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except EmotionPlatformError as error:
            raise click.ClickException(one_line(error)) from error
        except (DagsterPostgresException, OperationalError) as error:
            raise click.ClickException(
                f"{storage_description()} could not be reached ({str(error).splitlines()[0]}). Once it is back, run "
                "the same command again: runs that were cut off are marked failed and unfinished media is "
                "processed again."
            ) from error


def one_line(error: BaseException) -> str:
    """The error's message on one line (a step's output it carries is joined with ' | ')."""
    return " | ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__


def storage_description() -> str:
    settings = get_settings()
    if settings.deployment == "scale":
        return f"the platform database (PostgreSQL at {settings.postgres.host}:{settings.postgres.port})"
    return "the platform database (sqlite)"


@click.group(cls=PlatformGroup)
def main() -> None:
    """Emotion detection platform: media ingestion, transcription, training, drift, serving."""
    log_format = get_settings().log_format
    # Plain lines: warnings only (the tables are the output); JSON lines: everything a log pipeline wants.
    configure_logs(log_format, level=logging.INFO if log_format == "json" else logging.WARNING)


# The commands, one module per group (each registers its commands on ``main`` when imported).
from emotion_platform.cli import media, models, operations, stages  # noqa: E402,F401
