"""Fault injection for the recovery tests: make this process die (SIGKILL) at a named stage.

    EMOTION_PLATFORM_CRASH_AT=transcripts emotion-platform ingest   # killed while writing a transcript

A crash point sits inside each stage's artifact write, after the temporary file is complete and
before it is renamed into place: the harshest moment for "no half-written artifact is visible".
Unset (always, outside tests), a crash point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "EMOTION_PLATFORM_CRASH_AT"

STAGES = ("admission", "media", "transcripts", "predictions", "training", "evaluation", "drift_report", "bento_build")


def crash_point(stage: str) -> None:
    """SIGKILL this process when ``EMOTION_PLATFORM_CRASH_AT`` names ``stage`` (no cleanup runs)."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)
