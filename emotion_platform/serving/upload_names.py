"""ASGI middleware that shortens over-long file names in multipart uploads before BentoML sees them.

BentoML stores an upload as ``tmp<8 characters><client's file name>`` in one path component, which
a file system limits to 255 bytes: a name of more than 244 bytes (255 bytes of UTF-8 is a legal
name on the client's disk) made the upload fail with a 500. The guard rewrites such a name in the
part headers to its first bytes plus its extension (``<start>~.wav``) and fixes ``Content-Length``;
everything else passes through untouched.

    EmotionClassifier.add_asgi_middleware(UploadNameGuard)
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_NAME_BYTES = 128
MAX_HEADER_BYTES = 64 * 1024  # part headers longer than this are left to the multipart parser
_FILENAME = re.compile(rb'filename="((?:[^"\\]|\\.)*)"')


def short_name(name: bytes, limit: int = MAX_NAME_BYTES) -> bytes:
    """``name`` cut to at most ``limit`` bytes on a UTF-8 character boundary, keeping a short extension."""
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(b".")
    keep = b"." + ext if dot and len(ext) <= 10 else b""
    cut = (stem if keep else name)[: limit - len(keep) - 1].decode("utf-8", "ignore").encode("utf-8")
    return cut + b"~" + keep


def shorten_part_headers(prefix: bytes) -> bytes:
    """``prefix`` with every over-long quoted ``filename`` parameter shortened."""
    return _FILENAME.sub(lambda m: b'filename="' + short_name(m.group(1)) + b'"', prefix)


class UploadNameGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        if scope["type"] != "http" or not content_type.startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        # Read until the headers of the first part are complete (they follow the first boundary).
        buffered, more, messages = b"", True, []
        while more and b"\r\n\r\n" not in buffered and len(buffered) < MAX_HEADER_BYTES:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            buffered += message.get("body", b"")
            more = message.get("more_body", False)
        if not messages or messages[-1]["type"] != "http.request":
            await self.app(scope, _replay(messages, receive), send)
            return
        end = buffered.find(b"\r\n\r\n")
        head = buffered[:end] if end >= 0 else b""
        shortened = shorten_part_headers(head)
        if shortened != head:
            buffered = shortened + buffered[len(head) :]
            scope = dict(scope, headers=_with_length(scope["headers"], len(head) - len(shortened)))
        first = {"type": "http.request", "body": buffered, "more_body": more}
        await self.app(scope, _replay([first], receive), send)


def _with_length(headers: list[tuple[bytes, bytes]], removed: int) -> list[tuple[bytes, bytes]]:
    return [(k, str(int(v) - removed).encode() if k == b"content-length" and v.isdigit() else v) for k, v in headers]


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
