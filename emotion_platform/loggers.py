"""The Dagster console logger of the platform: Dagster's coloured lines, or JSON lines with run ids.

Set ``EMOTION_PLATFORM_LOG_FORMAT=json`` and every run-log record printed to stderr becomes one JSON
object (:mod:`emotion_platform.lib.logs`) with ``run_id``, ``job``, ``step``, ``partition`` and
``media_id`` (media partitions are media ids) and the Dagster ``event`` type, if any.
"""

from __future__ import annotations

import logging
import sys

import dagster as dg
from dagster._core.log_manager import LOG_RECORD_METADATA_ATTR
from dagster._loggers import colored_console_logger
from dagster._utils.log import coerce_valid_log_level

from emotion_platform.lib.logs import json_formatter
from emotion_platform.settings import get_settings

PARTITION_TAG = "dagster/partition"


class RunFieldsFilter(logging.Filter):
    """Lifts the run's ids out of Dagster's ``dagster_meta`` into plain record attributes."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = getattr(record, LOG_RECORD_METADATA_ATTR, None)
        if not meta:
            return True
        partition = (meta.get("job_tags") or {}).get(PARTITION_TAG)
        event = meta.get("dagster_event")
        fields = {
            "run_id": meta.get("run_id"),
            "job": meta.get("job_name"),
            "step": meta.get("step_key"),
            "partition": partition,
            "media_id": partition,
            "event": event.event_type_value if event is not None else None,
        }
        for key, value in fields.items():
            if value is not None:
                setattr(record, key, value)
        record.msg, record.args = meta.get("orig_message", record.getMessage()), ()
        delattr(record, LOG_RECORD_METADATA_ATTR)
        return True


@dg.logger(
    {
        "log_level": dg.Field(str, is_required=False, default_value="INFO", description="The logger's threshold."),
        "name": dg.Field(str, is_required=False, default_value="dagster", description="The logger's name."),
    },
    description="Dagster's coloured console logger, or JSON lines with run ids (EMOTION_PLATFORM_LOG_FORMAT).",
)
def platform_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    if get_settings().log_format != "json":
        return colored_console_logger.logger_fn(init_context)
    logger = logging.Logger(
        init_context.logger_config["name"], level=coerce_valid_log_level(init_context.logger_config["log_level"])
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RunFieldsFilter())
    handler.setFormatter(json_formatter())
    logger.addHandler(handler)
    return logger
