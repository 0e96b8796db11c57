"""Over-long upload names are shortened before the app stores the upload under them.

The app below stores an upload as BentoML does (``tmp<8 characters><client's file name>`` in one
path component); without the guard a 255-byte name is an OSError there, which the service answered 500.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from emotion_platform.serving.upload_names import MAX_NAME_BYTES, UploadNameGuard, short_name
from emotion_platform_tests.media_corpus_hostile import CONTROL_NAMES, LONG_NAME


async def store_like_bentoml(request: Request) -> JSONResponse:
    received = len(await request.body())  # read first: form() then parses the cached body
    form = await request.form()
    upload = form.get("file")
    if upload is None:
        return JSONResponse({"error": "no file"}, status_code=400)
    body = await upload.read()
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.NamedTemporaryFile(suffix=os.path.basename(upload.filename), dir=folder) as stored,
    ):
        stored.write(body)
        return JSONResponse(
            {
                "stored_as": os.path.basename(stored.name)[11:],
                "sha256": hashlib.sha256(body).hexdigest(),
                "content_length": int(request.headers["content-length"]),
                "received": received,
            }
        )


APP = Starlette(routes=[Route("/upload", store_like_bentoml, methods=["POST"])])


def test_short_name_keeps_the_extension_and_whole_characters() -> None:
    assert len(LONG_NAME.encode()) == 255
    short = short_name(LONG_NAME.encode())
    assert len(short) <= MAX_NAME_BYTES and short.endswith(b"~.wav")
    assert LONG_NAME.startswith(short.decode("utf-8")[:-5])  # decodes: no character was cut in half
    assert short_name(b"x" * 300) == b"x" * (MAX_NAME_BYTES - 1) + b"~"
    assert short_name(b"clip.wav") == b"clip.wav"


def test_without_the_guard_a_255_byte_name_cannot_be_stored() -> None:
    with TestClient(APP, raise_server_exceptions=False) as client:
        response = client.post("/upload", files={"file": (LONG_NAME, b"RIFF" * 100, "audio/wav")})
    assert response.status_code == 500


@pytest.mark.parametrize("name", [LONG_NAME, "x" * 400 + ".mp4", *CONTROL_NAMES, "clip.wav"])
def test_the_guard_shortens_long_names_and_passes_everything_else(name) -> None:
    data = os.urandom(300_000)  # several receive() messages
    with TestClient(UploadNameGuard(APP)) as client:
        response = client.post("/upload", files={"file": (name, data, "audio/wav")})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["sha256"] == hashlib.sha256(data).hexdigest()
    assert answer["content_length"] == answer["received"]  # Content-Length follows the shortened body
    stored = answer["stored_as"]
    if len(name.encode()) > MAX_NAME_BYTES:
        assert len(stored.encode()) <= MAX_NAME_BYTES and stored.endswith(name[-4:])
    else:
        assert stored == client.post("/upload", files={"file": (name, b"x")}).json()["stored_as"]


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"body": (await request.body()).decode()})


def test_the_guard_leaves_other_requests_alone() -> None:
    app = Starlette(
        routes=[Route("/upload", store_like_bentoml, methods=["POST"]), Route("/echo", echo, methods=["POST"])]
    )
    with TestClient(UploadNameGuard(app)) as client:
        assert client.post("/echo", content=b'{"filename": "' + b"x" * 500 + b'"}').json()["body"].count("x") == 500
        # A multipart body without parts ends (the guard does not wait for headers that never come).
        empty = client.post("/upload", content=b"--b--", headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert empty.status_code == 400
