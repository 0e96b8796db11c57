"""Progress of a long asset, in its Dagster run log (live in the UI) and on stderr: a bar when that is
a terminal (the CLI shows only warnings of the run log), plain lines otherwise.

    with run_log_progress(context):
        result = train_text_classifier(...)   # its Progress updates become run-log lines

A heartbeat warns in the run log when the step makes no progress for the ``stall_warning_s`` setting.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import dagster as dg

from emotion_platform.lib.progress import Heartbeat, ProgressUpdate, Reporter, TerminalReporter, duration, reporting_to
from emotion_platform.settings import get_settings


def run_log_progress(context: dg.AssetExecutionContext) -> AbstractContextManager:
    """Progress inside the block goes to ``context.log`` and to stderr (:class:`TerminalReporter`)."""

    def to_run_log(update: ProgressUpdate) -> None:
        context.log.info(update.line())

    def stalled(stage: str, quiet_s: float) -> None:
        context.log.warning(f"no progress for {duration(quiet_s)} in {stage}: the step may be stuck")

    reporters: list[Reporter] = [to_run_log]
    if get_settings().log_format != "json":  # in JSON mode the run log's own lines already reach stderr
        reporters.append(TerminalReporter())
    return reporting_to(reporters, Heartbeat(get_settings().stall_warning_s, stalled))
