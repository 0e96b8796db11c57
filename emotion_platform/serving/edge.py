"""ASGI middleware at the service edge: API keys, the key's rate limit, then request-size limits,
all before any body is read.

Keys are sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; only the health
endpoints (``/livez``, ``/readyz``) answer without one. Keys are compared in constant time. A key
over its rate limit gets 429 with ``Retry-After`` (:mod:`emotion_platform.serving.rate_limit`).
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from emotion_platform.lib.media.validation import human_bytes
from emotion_platform.serving.config import ServingSettings
from emotion_platform.serving.errors import error_response
from emotion_platform.serving.metrics import service_metrics
from emotion_platform.serving.rate_limit import KeyRateLimiter

HEALTH_PATHS = frozenset({"/livez", "/readyz"})
MEDIA_PATH = "/classify_media"
# Multipart framing around the file: boundaries, part headers, the file name.
MULTIPART_SLACK = 64 * 1024


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    """The API key a request carries, if any."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def key_is_accepted(key: str | None, accepted: frozenset[str]) -> bool:
    if key is None:
        return False
    # Compare against every key so timing does not reveal which one (or whether any) matched.
    matches = [hmac.compare_digest(key.encode(), k.encode()) for k in accepted]
    return any(matches)


class EdgeMiddleware:
    """Rejects unauthenticated requests (401), keys over their rate (429) and bodies over the limit
    (413; 411 for a streamed body)."""

    def __init__(self, app: ASGIApp, settings: ServingSettings | None = None) -> None:
        self.app = app
        self.settings = settings or ServingSettings()
        self.keys = self.settings.accepted_keys()
        self.limiter = KeyRateLimiter(self.settings.rate_limit_path(), self.settings.rate_limit,
                                      self.settings.rate_limits)

    def body_limit(self, path: str) -> int:
        if path.rstrip("/") == MEDIA_PATH:
            return self.settings.max_upload_bytes + MULTIPART_SLACK
        return self.settings.max_text_request_bytes

    @staticmethod
    async def refuse(status: int, code: str, message: str, scope: Scope, receive: Receive, send: Send,
                     headers: dict[str, str] | None = None) -> None:
        """Answer with the service's error shape and count it (``emotion_rejected_requests_total{code}``)."""
        service_metrics().count_rejection(code)
        await error_response(status, code, message, headers=headers)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = presented_key(headers)
        if not key_is_accepted(key, self.keys):
            await self.refuse(401, "unauthorized", "a valid API key is required: send 'Authorization: Bearer <key>' "
                              "or 'X-API-Key: <key>'", scope, receive, send,
                              headers={"WWW-Authenticate": 'Bearer realm="emotion-platform"'})
            return
        verdict = self.limiter.check(key)
        if not verdict.allowed:
            await self.refuse(429, "rate_limited", f"this key may make {verdict.limit} requests; try again in "
                              f"{verdict.retry_after_s} s", scope, receive, send,
                              headers={"Retry-After": str(verdict.retry_after_s)})
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            limit = self.body_limit(scope["path"])
            length = headers.get(b"content-length")
            if length is None and b"transfer-encoding" not in headers:
                length = b"0"  # no body at all
            if length is None or not length.isdigit():
                await self.refuse(411, "length_required", "send the request with a Content-Length header",
                                  scope, receive, send)
                return
            if int(length) > limit:
                is_upload = scope["path"].rstrip("/") == MEDIA_PATH
                what, stated = ("upload", self.settings.max_upload_bytes) if is_upload else ("request body", limit)
                await self.refuse(413, "too_large", f"the {what} is {human_bytes(int(length))}, over the "
                                  f"{human_bytes(stated)} limit", scope, receive, send)
                return
        await self.app(scope, receive, send)
