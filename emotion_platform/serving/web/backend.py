"""What the page's routes work with: the history, the job runner, where media is kept, the sessions.

The service builds one :class:`WebBackend` per worker (:func:`build_backend`) with its loaded model;
tests build one with a real model and no BentoML.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from emotion_platform.lib import atomic
from emotion_platform.lib.media.ids import safe_name
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.serving.media import classify_media, inspect_upload
from emotion_platform.serving.web.faces import save_face_crops
from emotion_platform.serving.web.history import Analysis, HistoryStore
from emotion_platform.serving.web.jobs import Analyse, JobRunner
from emotion_platform.serving.web.session import Sessions

FACES_DIR = "faces"


@dataclass
class WebBackend:
    store: HistoryStore
    runner: JobRunner
    media_dir: Path
    limits: MediaLimits
    sessions: Sessions
    keys: frozenset[str]

    def accept_upload(self, stream: BinaryIO, filename: str, owner: str) -> Analysis:
        """Keep the upload under the data folder, check it is media within the limits, queue its analysis.

        Raises :class:`~emotion_platform.lib.errors.MediaRejected` (nothing is kept then).
        """
        analysis_id = uuid.uuid4().hex
        folder = self.media_dir / analysis_id
        digest = hashlib.sha256()
        target = folder / (safe_name(filename) or "upload")
        with atomic.atomic_path(target) as tmp, open(tmp, "wb") as out:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        try:
            info = inspect_upload(target, self.limits)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        analysis = self.store.create(
            filename=filename,
            media_path=str(target),
            size_bytes=target.stat().st_size,
            media_kind="video" if info.has_video else "audio",
            sha256=digest.hexdigest(),
            owner=owner,
            analysis_id=analysis_id,
        )
        self.runner.submit(analysis.id)
        return analysis

    def delete(self, analysis_id: str) -> bool:
        removed = self.store.delete(analysis_id)
        if removed is None:
            return False
        shutil.rmtree(Path(removed.media_path).parent, ignore_errors=True)
        return True


def analyse_with(bundle, transcriber, limits: MediaLimits, model: dict) -> Analyse:
    """The job of one analysis: the service's own media path over the stored upload, plus, for a video,
    the face crops its face evidence came from (kept beside the upload)."""

    def analyse(analysis: Analysis) -> tuple[dict, dict]:
        media = Path(analysis.media_path)
        result = classify_media(media, bundle, transcriber, limits)
        if result["media"]["has_video"]:
            result["face_crops"] = save_face_crops(media, result, media.parent / FACES_DIR, limits)
        return result, model

    return analyse


def build_backend(
    store_url: str, media_dir: Path, limits: MediaLimits, keys: frozenset[str], analyse: Analyse, threads: int = 1
) -> WebBackend:
    """A backend whose runner has already picked up what dead workers left unfinished."""
    store = HistoryStore(store_url)
    runner = JobRunner(store, analyse, threads=threads)
    runner.recover()
    return WebBackend(store, runner, media_dir, limits, Sessions(keys), keys)
