"""Analyses and reviewer corrections, kept in the platform's database (sqlite by default, PostgreSQL
in the scale profile) with SQLAlchemy Core.

An analysis is one uploaded file and its job: ``queued`` -> ``running`` (stage and progress) ->
``done`` (the result JSON) or ``failed`` (a reason code and a sentence). The media bytes live under
the data folder; the row names them, the model version that answered, and the worker that runs it
(``host:pid``), so a job whose worker died can be found and run again.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

analyses = sa.Table(
    "web_analyses",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("filename", sa.String(512), nullable=False),
    sa.Column("media_path", sa.String(2048), nullable=False),
    sa.Column("media_kind", sa.String(16), nullable=False, default="audio"),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("stage", sa.String(64), nullable=False, default=""),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("error_code", sa.String(32)),
    sa.Column("message", sa.Text),
    sa.Column("worker", sa.String(128)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("model_name", sa.String(256)),
    sa.Column("model_version", sa.String(64)),
    sa.Column("result", sa.Text),
)

corrections = sa.Table(
    "web_corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("analysis_id", sa.String(32), sa.ForeignKey("web_analyses.id", ondelete="CASCADE"), nullable=False),
    sa.Column("segment_index", sa.Integer, nullable=False),
    sa.Column("start_s", sa.Float, nullable=False),
    sa.Column("end_s", sa.Float, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("predicted", sa.String(32), nullable=False),
    sa.Column("corrected", sa.String(32), nullable=False),
    sa.Column("reviewer", sa.String(128), nullable=False),
    sa.Column("reviewer_key", sa.String(32), nullable=False),
    sa.Column("model_version", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("analysis_id", "segment_index", name="one_correction_per_segment"),
)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Analysis:
    """One row of ``web_analyses`` as the page and the job runner see it."""

    id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    filename: str
    media_path: str
    media_kind: str
    size_bytes: int
    sha256: str
    owner: str
    status: str
    stage: str
    progress: float
    error_code: str | None
    message: str | None
    worker: str | None
    attempts: int
    model_name: str | None
    model_version: str | None
    result: dict | None

    def summary(self) -> dict[str, Any]:
        """What the page needs to list or follow it (no segments)."""
        dominant = (self.result or {}).get("summary", {}).get("dominant")
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "filename": self.filename,
            "media_kind": self.media_kind,
            "size_bytes": self.size_bytes,
            "status": self.status,
            "stage": self.stage,
            "progress": round(self.progress, 3),
            "error_code": self.error_code,
            "message": self.message,
            "model_version": self.model_version,
            "dominant": dominant,
        }


def _row_to_analysis(row: sa.Row) -> Analysis:
    values = dict(row._mapping)
    values["result"] = json.loads(values["result"]) if values["result"] else None
    for key in ("created_at", "updated_at"):
        if values[key].tzinfo is None:  # sqlite keeps no zone: the values were written in UTC
            values[key] = values[key].replace(tzinfo=dt.UTC)
    return Analysis(**values)


class HistoryStore:
    """The page's tables in one database (created on first use)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        create_tables(self.engine)

    def create(
        self,
        *,
        filename: str,
        media_path: str,
        media_kind: str,
        size_bytes: int,
        sha256: str,
        owner: str,
        analysis_id: str | None = None,
    ) -> Analysis:
        now = _now()
        analysis_id = analysis_id or uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(
                analyses.insert().values(
                    id=analysis_id,
                    created_at=now,
                    updated_at=now,
                    filename=filename,
                    media_path=media_path,
                    media_kind=media_kind,
                    size_bytes=size_bytes,
                    sha256=sha256,
                    owner=owner,
                    status=QUEUED,
                    stage="queued",
                    progress=0.0,
                    attempts=0,
                )
            )
        analysis = self.get(analysis_id)
        assert analysis is not None  # inserted just above
        return analysis

    def get(self, analysis_id: str) -> Analysis | None:
        with self.engine.connect() as conn:
            row = conn.execute(analyses.select().where(analyses.c.id == analysis_id)).first()
        return _row_to_analysis(row) if row else None

    def list(self, limit: int = 100) -> list[Analysis]:
        with self.engine.connect() as conn:
            rows = conn.execute(analyses.select().order_by(analyses.c.created_at.desc()).limit(limit)).all()
        return [_row_to_analysis(r) for r in rows]

    def claim(self, analysis_id: str, worker: str) -> bool:
        """Mark a queued job running on ``worker``; False if another worker has it already."""
        with self.engine.begin() as conn:
            done = conn.execute(
                analyses.update()
                .where(analyses.c.id == analysis_id, analyses.c.status == QUEUED)
                .values(
                    status=RUNNING, worker=worker, stage="starting", updated_at=_now(), attempts=analyses.c.attempts + 1
                )
            )
        return done.rowcount == 1

    def progress(self, analysis_id: str, stage: str, fraction: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                analyses.update()
                .where(analyses.c.id == analysis_id, analyses.c.status == RUNNING)
                .values(stage=stage, progress=max(0.0, min(1.0, fraction)), updated_at=_now())
            )

    def finish(self, analysis_id: str, result: dict, model: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                analyses.update()
                .where(analyses.c.id == analysis_id)
                .values(
                    status=DONE,
                    stage="done",
                    progress=1.0,
                    result=json.dumps(result),
                    updated_at=_now(),
                    model_name=model.get("name"),
                    model_version=model.get("version"),
                    error_code=None,
                    message=None,
                )
            )

    def fail(self, analysis_id: str, code: str, message: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                analyses.update()
                .where(analyses.c.id == analysis_id)
                .values(status=FAILED, stage="failed", error_code=code, message=message, updated_at=_now())
            )

    def requeue(self, analysis_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                analyses.update()
                .where(analyses.c.id == analysis_id)
                .values(status=QUEUED, stage="queued", progress=0.0, worker=None, updated_at=_now())
            )

    def unfinished(self) -> builtins.list[Analysis]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                analyses.select().where(analyses.c.status.in_(UNFINISHED)).order_by(analyses.c.created_at)
            ).all()
        return [_row_to_analysis(r) for r in rows]

    def delete(self, analysis_id: str) -> Analysis | None:
        """Remove an analysis and its corrections; returns the row (its media file is the caller's)."""
        found = self.get(analysis_id)
        if found is not None:
            with self.engine.begin() as conn:
                conn.execute(corrections.delete().where(corrections.c.analysis_id == analysis_id))
                conn.execute(analyses.delete().where(analyses.c.id == analysis_id))
        return found

    def correct(self, analysis_id: str, segment_index: int, corrected: str, reviewer: str, reviewer_key: str) -> dict:
        """Record (or replace) a reviewer's emotion for one segment of a finished analysis."""
        analysis = self.get(analysis_id)
        if analysis is None or analysis.result is None:
            raise KeyError(analysis_id)
        segment = analysis.result["segments"][segment_index]
        record = {
            "analysis_id": analysis_id,
            "segment_index": segment_index,
            "start_s": segment["start"],
            "end_s": segment["end"],
            "text": segment.get("text", ""),
            "predicted": segment.get("top") or "",
            "corrected": corrected,
            "reviewer": reviewer,
            "reviewer_key": reviewer_key,
            "model_version": analysis.model_version,
            "created_at": _now(),
        }
        with self.engine.begin() as conn:
            conn.execute(
                corrections.delete().where(
                    corrections.c.analysis_id == analysis_id, corrections.c.segment_index == segment_index
                )
            )
            conn.execute(corrections.insert().values(**record))
        return record

    def corrections_of(self, analysis_id: str | None = None) -> builtins.list[dict]:
        query = corrections.select().order_by(corrections.c.created_at)
        if analysis_id is not None:
            query = query.where(corrections.c.analysis_id == analysis_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]

    def reviewed(self) -> builtins.list[dict]:
        """Every correction with its analysis's media identity (sha256, file name): training material."""
        query = (
            sa.select(corrections, analyses.c.sha256, analyses.c.filename, analyses.c.media_path)
            .join(analyses, analyses.c.id == corrections.c.analysis_id)
            .order_by(corrections.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]


def create_tables(engine: sa.Engine, attempts: int = 5) -> None:
    """Create the tables if missing. Workers start together: when another one creates them between our
    check and our CREATE, the CREATE fails; the next check then finds them."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # the workers read while one writes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
