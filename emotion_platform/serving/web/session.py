"""Signing in on the page: an API key (checked once) becomes a signed, HTTP-only session cookie.

The browser cannot put an API key on a media element's request, and a key should not sit in page
script, so ``POST /ui/api/session`` trades a valid key (and the reviewer's name) for a cookie signed
with a secret derived from the service's keys: every worker derives the same secret, and changing the
keys ends every session. The cookie holds the key's id (a hash, :func:`~emotion_platform.serving.
rate_limit.key_id`), never the key; it is ``SameSite=Strict`` so other sites cannot ride on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "emotion_session"
MAX_AGE_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    key_id: str
    reviewer: str


class Sessions:
    """Issues and reads session cookies for one set of API keys."""

    def __init__(self, keys: frozenset[str], max_age_s: int = MAX_AGE_S) -> None:
        secret = hashlib.sha256(b"emotion-platform web session\0" + "\0".join(sorted(keys)).encode()).digest()
        self.serializer = URLSafeTimedSerializer(secret, salt="emotion-web-session")
        self.max_age_s = max_age_s

    def issue(self, key_id: str, reviewer: str) -> str:
        return self.serializer.dumps({"k": key_id, "r": reviewer})

    def read(self, token: str | None) -> Session | None:
        if not token:
            return None
        try:
            data = self.serializer.loads(token, max_age=self.max_age_s)
        except BadSignature:  # also SignatureExpired
            return None
        return Session(data["k"], data["r"])


def cookie_value(headers: dict[bytes, bytes]) -> str | None:
    """The session cookie of a request (raw ASGI headers), if any."""
    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value or None
    return None
