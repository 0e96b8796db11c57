"""Turning rejections into HTTP responses: a status and a JSON body naming the problem.

401 unauthorized        no or wrong API key
411 length_required     an upload without Content-Length
413 too_large/too_long  over the size or duration limit
413 over_limits         over a decoding limit (frame size, channels, sample rate, streams, decode time)
415 not_media/...       the bytes are not audio or video (decided by probing, not by name)
422 corrupt/empty/...   media that is damaged, empty, or too short to classify
429 rate_limited        the API key spent its request budget (Retry-After says when to come back)
507 storage_full        the service's disk is full (the request may be sent again later)
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from emotion_platform.lib.errors import MediaRejected

STATUS_BY_CODE = {
    "too_large": 413,
    "too_long": 413,
    "over_limits": 413,
    "not_media": 415,
    "no_streams": 415,
    "empty": 422,
    "too_short": 422,
    "corrupt": 422,
    "unsafe_path": 422,
    "storage_full": 507,
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The one error shape of the service: ``{"error": code, "message": sentence}``."""
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def rejection_response(error: MediaRejected, filename: str | None = None) -> JSONResponse:
    """The response for a rejected upload; the message names the file as the client sent it."""
    name = filename or error.path.name
    return error_response(STATUS_BY_CODE.get(error.code, 422), error.code, f"{name!r}: {error.reason}")
