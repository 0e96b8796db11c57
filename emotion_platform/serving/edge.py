"""ASGI middleware at the service edge: API keys, the key's rate limit, then request-size limits,
all before any body is read.

Keys are sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; only the health
endpoints (``/livez``, ``/readyz``) answer without one. Keys are compared in constant time. A key
over its rate limit gets 429 with ``Retry-After`` (:mod:`emotion_platform.serving.rate_limit`).
"""

from __future__ import annotations

import hmac
import shutil
import tempfile
from typing import TypeGuard

from starlette.types import ASGIApp, Receive, Scope, Send

from emotion_platform.lib.media.validation import human_bytes
from emotion_platform.serving.errors import error_response
from emotion_platform.serving.metrics import service_metrics
from emotion_platform.serving.rate_limit import KeyRateLimiter, key_id
from emotion_platform.serving.service_settings import ServingSettings
from emotion_platform.serving.web.session import Session, Sessions, cookie_value

IDENTITY = "emotion_identity"  # where the edge leaves who is asking, for the page's routes

HEALTH_PATHS = frozenset({"/livez", "/readyz"})
MEDIA_PATH = "/classify_media"
# The web page: the page, its static files and the sign-in need no key; its API takes a key or the
# session cookie the sign-in sets (serving/web/session.py).
PAGE_PREFIX = "/ui"
PAGE_UPLOAD_PATH = "/ui/api/analyses"
PAGE_SIGN_IN = "/ui/api/session"
# Room kept free on the temporary folder beyond an upload's own size (decoded audio, frames).
UPLOAD_HEADROOM = 16 * 1024 * 1024
# Multipart framing around the file: boundaries, part headers, the file name.
MULTIPART_SLACK = 64 * 1024


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    """The API key a request carries, if any."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    key = headers.get(b"x-api-key", b"").decode("latin-1").strip()
    return key or None


def room_for(upload_bytes: int) -> bool:
    """Whether the temporary folder can hold an upload and its decoded audio (BentoML stores the upload
    there before the service sees it; a full disk there would be a server error)."""
    free = shutil.disk_usage(tempfile.gettempdir()).free
    return free >= 3 * upload_bytes + UPLOAD_HEADROOM


def is_open_page_path(path: str) -> bool:
    """The page itself, its static files and sign-in/out: reachable without a key."""
    return path in (PAGE_PREFIX, PAGE_PREFIX + "/", PAGE_SIGN_IN) or path.startswith(PAGE_PREFIX + "/static/")


def key_is_accepted(key: str | None, accepted: frozenset[str]) -> TypeGuard[str]:
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
        self.limiter = KeyRateLimiter(
            self.settings.rate_limit_path(), self.settings.rate_limit, self.settings.rate_limits
        )
        self.sessions = Sessions(self.keys)

    def body_limit(self, path: str) -> int:
        if path.rstrip("/") in (MEDIA_PATH, PAGE_UPLOAD_PATH):
            return self.settings.max_upload_bytes + MULTIPART_SLACK
        return self.settings.max_text_request_bytes

    def identify(self, headers: dict[bytes, bytes], path: str) -> Session | None:
        """Who asks: a valid API key anywhere, or the page's session cookie on the page's API."""
        key = presented_key(headers)
        if key_is_accepted(key, self.keys):
            return Session(key_id(key), "api")
        if path.startswith(PAGE_PREFIX + "/"):
            return self.sessions.read(cookie_value(headers))
        return None

    @staticmethod
    async def refuse(
        status: int,
        code: str,
        message: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer with the service's error shape and count it (``emotion_rejected_requests_total{code}``)."""
        service_metrics().count_rejection(code)
        await error_response(status, code, message, headers=headers)(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_PATHS or is_open_page_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        identity = self.identify(headers, scope["path"])
        if identity is None:
            await self.refuse(
                401,
                "unauthorized",
                "a valid API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                scope,
                receive,
                send,
                headers={"WWW-Authenticate": 'Bearer realm="emotion-platform"'},
            )
            return
        scope[IDENTITY] = identity
        verdict = self.limiter.check_id(identity.key_id)
        if not verdict.allowed:
            await self.refuse(
                429,
                "rate_limited",
                f"this key may make {verdict.limit} requests; try again in {verdict.retry_after_s} s",
                scope,
                receive,
                send,
                headers={"Retry-After": str(verdict.retry_after_s)},
            )
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            limit = self.body_limit(scope["path"])
            length = headers.get(b"content-length")
            if length is None and b"transfer-encoding" not in headers:
                length = b"0"  # no body at all
            if length is None or not length.isdigit():
                await self.refuse(
                    411, "length_required", "send the request with a Content-Length header", scope, receive, send
                )
                return
            if int(length) > limit:
                is_upload = scope["path"].rstrip("/") in (MEDIA_PATH, PAGE_UPLOAD_PATH)
                what, stated = ("upload", self.settings.max_upload_bytes) if is_upload else ("request body", limit)
                await self.refuse(
                    413,
                    "too_large",
                    f"the {what} is {human_bytes(int(length))}, over the {human_bytes(stated)} limit",
                    scope,
                    receive,
                    send,
                )
                return
            if scope["path"].rstrip("/") in (MEDIA_PATH, PAGE_UPLOAD_PATH) and not room_for(int(length)):
                await self.refuse(
                    507,
                    "storage_full",
                    "the service's disk has no room for this upload now; send it again later",
                    scope,
                    receive,
                    send,
                )
                return
        await self.app(scope, receive, send)
