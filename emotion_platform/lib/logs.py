"""Logs an operator can search: one JSON object per line, carrying the ids that tie it to its work.

    EMOTION_PLATFORM_LOG_FORMAT=json      # default: console (human-readable lines)

A JSON line holds ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``, plus whichever of
these the code that logged it knew: ``run_id``, ``job``, ``step``, ``partition`` and ``media_id``
(Dagster runs), ``request_id`` and ``trace_id`` (service requests), ``model_version``, and any
``extra={...}`` the call passed. Fields come from three places, later ones winning:

* :func:`bind_process` - fixed for the process (the service's model version);
* context providers (:func:`add_context_provider`) - read per record (the service's trace context);
* :func:`log_context` - a block of code (a contextvar, so it follows asyncio tasks and threads that
  copy the context).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["console", "json"]
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("emotion_platform_log_context", default=None)
_PROCESS_FIELDS: dict[str, Any] = {}
_PROVIDERS: list[Callable[[], dict[str, Any]]] = []
ID_FIELDS = frozenset({"run_id", "partition", "media_id", "request_id", "trace_id", "model_version"})
_STRUCTURED = {"on": False}  # set by configure("json"): plain-text printers should log instead
# Attributes other libraries set on records for their own text formats; not worth a JSON field.
_COSMETIC = ("levelname_bracketed", "component", "trace_msg", "color_message", "taskName")


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Every record made inside the block carries ``fields``."""
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind_process(**fields: Any) -> None:
    """Fields every record of this process carries from now on."""
    _PROCESS_FIELDS.update(fields)


def add_context_provider(provider: Callable[[], dict[str, Any]]) -> None:
    """A function called for every record, returning fields (e.g. the current request's ids)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def current_fields() -> dict[str, Any]:
    fields = dict(_PROCESS_FIELDS)
    for provider in _PROVIDERS:
        fields.update(provider())
    fields.update(_CONTEXT.get() or {})
    return {k: v for k, v in fields.items() if v is not None}


class ContextFilter(logging.Filter):
    """Puts :func:`current_fields` on each record (as attributes a formatter can emit)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current_fields()
        for key, value in fields.items():
            setattr(record, key, value)
        for key in ID_FIELDS - fields.keys():
            if getattr(record, key, "") is None:  # another library's filter set it empty
                delattr(record, key)
        return True


def json_formatter() -> JsonFormatter:
    """Records as JSON objects: time, level, logger, message, then every extra attribute."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        reserved_attrs=[*RESERVED_ATTRS, *_COSMETIC],
        json_ensure_ascii=False,
    )


def is_structured() -> bool:
    """Whether this process was configured for JSON lines (so nothing should print plain text)."""
    return _STRUCTURED["on"]


def formatter(log_format: LogFormat) -> logging.Formatter:
    return json_formatter() if log_format == "json" else logging.Formatter(CONSOLE_FORMAT)


def use_format(handler: logging.Handler, log_format: LogFormat) -> logging.Handler:
    """Give ``handler`` the format and the context fields (kept if it already has them)."""
    handler.setFormatter(formatter(log_format))
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
    return handler


def configure(log_format: LogFormat, level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """The root logger writes ``log_format`` lines to ``stream`` (stderr): for the CLI and scripts."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_emotion_platform", False):
            root.removeHandler(handler)
    handler = use_format(logging.StreamHandler(stream or sys.stderr), log_format)
    handler._emotion_platform = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    _STRUCTURED["on"] = log_format == "json"
    logging.captureWarnings(log_format == "json")  # warnings become records too, not stray text lines


def reformat_handlers(log_format: LogFormat, logger_names: tuple[str, ...] = ("", "bentoml")) -> None:
    """Switch the handlers a framework already installed (BentoML's) to ``log_format`` with context."""
    for name in logger_names:
        for handler in logging.getLogger(name).handlers:
            use_format(handler, log_format)
