"""The page's HTTP routes, mounted by the service at ``/ui`` (FastAPI).

    GET    /ui/                                   the page
    POST   /ui/api/session                        sign in: {"key": ..., "reviewer": ...} -> session cookie
    DELETE /ui/api/session                        sign out
    POST   /ui/api/analyses                       upload (multipart ``file``) -> 202 and the queued analysis
    GET    /ui/api/analyses                       the history, newest first
    GET    /ui/api/analyses/{id}                  one analysis: state, progress, segments, corrections
    DELETE /ui/api/analyses/{id}                  forget it and its media
    GET    /ui/api/analyses/{id}/media            the media bytes (ranges, for seeking)
    GET    /ui/api/analyses/{id}/faces/{file}     a face crop behind a video's face evidence
    GET    /ui/api/analyses/{id}/export.{json|csv}
    PUT    /ui/api/analyses/{id}/segments/{n}/correction   {"emotion": ...} by the signed-in reviewer

The edge (:mod:`emotion_platform.serving.edge`) lets the page, its static files and the sign-in
through without a key and checks a key or the session cookie on every other ``/ui/api`` route; the
identity it found is in ``request.scope["emotion_identity"]``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from emotion_platform.lib.errors import MediaRejected, StorageFull
from emotion_platform.lib.labels import EMOTIONS
from emotion_platform.lib.predict import COLORS
from emotion_platform.serving.edge import IDENTITY, key_is_accepted
from emotion_platform.serving.errors import STATUS_BY_CODE, error_response
from emotion_platform.serving.rate_limit import key_id
from emotion_platform.serving.web.backend import FACES_DIR, WebBackend
from emotion_platform.serving.web.faces import CROP_NAME
from emotion_platform.serving.web.history import DONE, Analysis
from emotion_platform.serving.web.session import COOKIE, Session

STATIC = Path(__file__).parent / "static"
Emotion = Literal[EMOTIONS]  # type: ignore[valid-type]


def current_backend() -> WebBackend:
    """The worker's backend (the service instance holds it); tests override this dependency."""
    import bentoml

    return bentoml.get_current_service().web


Backend = Annotated[WebBackend, Depends(current_backend)]


def identity(request: Request) -> Session:
    found = request.scope.get(IDENTITY)
    if found is None:
        raise HTTPException(401, "sign in first")
    return found


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=512)
    reviewer: str = Field(min_length=1, max_length=80)


class Correction(BaseModel):
    emotion: Emotion


def _found(backend: WebBackend, analysis_id: str) -> Analysis:
    analysis = backend.store.get(analysis_id)
    if analysis is None:
        raise HTTPException(404, "no such analysis: it may have been deleted")
    return analysis


def _detail(backend: WebBackend, analysis: Analysis) -> dict:
    return analysis.summary() | {
        "result": analysis.result,
        "model_name": analysis.model_name,
        "corrections": {
            c["segment_index"]: {"emotion": c["corrected"], "reviewer": c["reviewer"]}
            for c in backend.store.corrections_of(analysis.id)
        },
    }


def csv_rows(analysis: Analysis, corrected: dict[int, str]) -> str:
    """The segments as CSV: times, text, fused emotion and confidence, each branch's top, any correction."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "start_s",
            "end_s",
            "text",
            "emotion",
            "confidence",
            "text_branch",
            "speech_branch",
            "face_branch",
            "corrected",
        ]
    )
    for index, segment in enumerate((analysis.result or {}).get("segments", [])):
        tops = [
            max(d, key=d.get) if d else ""
            for d in (segment.get("text_branch"), segment.get("speech_branch"), segment.get("face_branch"))
        ]
        writer.writerow(
            [
                segment["start"],
                segment["end"],
                segment.get("text", ""),
                segment.get("top") or "",
                segment.get("confidence") or "",
                *tops,
                corrected.get(index, ""),
            ]
        )
    return out.getvalue()


def build_web_app() -> FastAPI:
    app = FastAPI(title="emotion_platform page", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    templates = Environment(
        loader=PackageLoader("emotion_platform.serving.web", "templates"), autoescape=select_autoescape()
    )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 409: "not_ready"}.get(error.status_code, "bad_request")
        return error_response(error.status_code, code, str(error.detail))

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        html = templates.get_template("page.html").render(emotions=EMOTIONS, colors=COLORS)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.post("/api/session")
    def sign_in(body: SignIn, backend: Backend) -> JSONResponse:
        if not key_is_accepted(body.key.strip(), backend.keys):
            return error_response(401, "unauthorized", "that API key is not one this service accepts")
        response = JSONResponse({"reviewer": body.reviewer})
        response.set_cookie(
            COOKIE,
            backend.sessions.issue(key_id(body.key.strip()), body.reviewer.strip()),
            max_age=backend.sessions.max_age_s,
            httponly=True,
            samesite="strict",
            path="/ui",
        )
        return response

    @app.delete("/api/session")
    def sign_out() -> Response:
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/ui")
        return response

    @app.get("/api/me")
    def me(who: Annotated[Session, Depends(identity)]) -> dict:
        return {"reviewer": who.reviewer}

    @app.post("/api/analyses", status_code=202)
    def upload(
        file: Annotated[UploadFile, File()], backend: Backend, who: Annotated[Session, Depends(identity)]
    ) -> JSONResponse:
        try:
            analysis = backend.accept_upload(file.file, file.filename or "upload", who.key_id)
        except (MediaRejected, StorageFull) as error:
            return error_response(STATUS_BY_CODE.get(error.code, 422), error.code, f"{file.filename!r}: {error.reason}")
        return JSONResponse(analysis.summary(), status_code=202)

    @app.get("/api/analyses")
    def history(backend: Backend, _: Annotated[Session, Depends(identity)]) -> list[dict]:
        return [a.summary() for a in backend.store.list()]

    @app.get("/api/analyses/{analysis_id}")
    def one(analysis_id: str, backend: Backend, _: Annotated[Session, Depends(identity)]) -> dict:
        return _detail(backend, _found(backend, analysis_id))

    @app.delete("/api/analyses/{analysis_id}", status_code=204)
    def forget(analysis_id: str, backend: Backend, _: Annotated[Session, Depends(identity)]) -> Response:
        if not backend.delete(analysis_id):
            raise HTTPException(404, "no such analysis: it may have been deleted")
        return Response(status_code=204)

    @app.get("/api/analyses/{analysis_id}/media")
    def media(analysis_id: str, backend: Backend, _: Annotated[Session, Depends(identity)]) -> FileResponse:
        analysis = _found(backend, analysis_id)
        return FileResponse(analysis.media_path, filename=analysis.filename)

    @app.get("/api/analyses/{analysis_id}/faces/{name}")
    def face(analysis_id: str, name: str, backend: Backend, _: Annotated[Session, Depends(identity)]) -> FileResponse:
        analysis = _found(backend, analysis_id)
        path = Path(analysis.media_path).parent / FACES_DIR / name
        if not CROP_NAME.match(name) or not path.is_file():
            raise HTTPException(404, "no such face crop")
        return FileResponse(path, media_type="image/jpeg")

    @app.get("/api/analyses/{analysis_id}/export.{fmt}")
    def export(
        analysis_id: str, fmt: Literal["json", "csv"], backend: Backend, _: Annotated[Session, Depends(identity)]
    ) -> Response:
        analysis = _found(backend, analysis_id)
        if analysis.status != DONE:
            raise HTTPException(409, "the analysis has not finished yet")
        stem = Path(analysis.filename).stem or "analysis"
        disposition = {"Content-Disposition": f'attachment; filename="{stem}-emotions.{fmt}"'}
        if fmt == "json":
            return JSONResponse(_detail(backend, analysis), headers=disposition)
        corrected = {c["segment_index"]: c["corrected"] for c in backend.store.corrections_of(analysis_id)}
        return Response(csv_rows(analysis, corrected), media_type="text/csv", headers=disposition)

    @app.put("/api/analyses/{analysis_id}/segments/{index}/correction")
    def correct(
        analysis_id: str, index: int, body: Correction, backend: Backend, who: Annotated[Session, Depends(identity)]
    ) -> dict:
        analysis = _found(backend, analysis_id)
        segments = (analysis.result or {}).get("segments", [])
        if analysis.status != DONE or not 0 <= index < len(segments):
            raise HTTPException(404, f"no segment {index} in this analysis")
        record = backend.store.correct(analysis_id, index, body.emotion, who.reviewer, who.key_id)
        return {"segment_index": index, "emotion": record["corrected"], "reviewer": record["reviewer"]}

    return app
