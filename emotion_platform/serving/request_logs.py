"""The service's log lines carry the request they belong to and the model that answered.

BentoML gives every request an id (returned as ``X-BentoML-Request-ID``) and an OpenTelemetry trace id
(taken from a client's ``traceparent`` header, or new). :func:`configure_service_logs` makes each worker
write its lines (BentoML's access log included) in the platform's format
(``EMOTION_PLATFORM_LOG_FORMAT``), with ``request_id``, ``trace_id`` and ``model_version`` fields.
"""

from __future__ import annotations

import os
from typing import Any

from emotion_platform.lib.logs import LogFormat, add_context_provider, bind_process, reformat_handlers

# How BentoML prints the ids in its headers (its default logging_formatting).
REQUEST_ID_FORMAT = "016x"
TRACE_ID_FORMAT = "032x"


def request_fields() -> dict[str, Any]:
    """The ids of the request being served, if any (BentoML's trace context: a contextvar)."""
    from bentoml._internal.context import trace_context

    request_id, trace_id = trace_context.request_id, trace_context.trace_id
    return {
        "request_id": format(request_id, REQUEST_ID_FORMAT) if request_id else None,
        "trace_id": format(trace_id, TRACE_ID_FORMAT) if trace_id else None,
    }


def configure_service_logs(log_format: LogFormat) -> None:
    """This worker's log lines in the platform's format, with the request's ids (called at import)."""
    add_context_provider(request_fields)
    if log_format == "json":  # console: BentoML's own lines (they already show the trace ids)
        reformat_handlers(log_format, ("", "bentoml", "bentoml.access"))
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no bars among the JSON lines


def bind_model(model: dict[str, Any]) -> None:
    """Every later line of this worker names the model version that answers."""
    bind_process(model_name=model.get("name"), model_version=model.get("version"))
