"""``EmotionClassifier``: the champion emotion model and the transcriber behind an HTTP API.

    bentoml serve emotion_platform.serving.service:EmotionClassifier --host 127.0.0.1 --port 3000

APIs (POST, JSON unless noted; every one needs an API key):

* ``/classify_text``  ``{"utterances": ["...", ...]}`` -> one emotion distribution per utterance
  (adaptive batching across requests)
* ``/classify_media`` multipart ``file=@clip.wav`` (audio or video) -> transcript segments with
  start/end, text and emotions, and a file-level summary
* ``/model_info``     which model version serves, on which device and precision

Health: ``/livez`` and ``/readyz`` (no key). Metrics: ``/metrics`` (Prometheus text, key needed).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Annotated

import bentoml
from bentoml.validators import ContentType
from pydantic import BaseModel, Field, StringConstraints

from emotion_platform.serving.balance import ConnectionBalancer
from emotion_platform.serving.edge import HEALTH_PATHS, EdgeMiddleware
from emotion_platform.serving.service_settings import ServingSettings
from emotion_platform.serving.upload_names import UploadNameGuard
from emotion_platform.settings import get_settings

with bentoml.importing():
    from emotion_platform.lib.errors import MediaRejected, StorageFull
    from emotion_platform.serving.errors import error_response, rejection_response
    from emotion_platform.serving.media import classify_media, warm_up
    from emotion_platform.serving.metrics import service_metrics
    from emotion_platform.serving.model import LoadedModel, load_from_folder, load_from_registry
    from emotion_platform.serving.request_logs import bind_model, configure_service_logs
    from emotion_platform.serving.text import classify_utterances
    from emotion_platform.serving.web.app import build_web_app
    from emotion_platform.serving.web.backend import WebBackend, analyse_with, build_backend

logger = logging.getLogger(__name__)

IMPORT_SETTINGS = ServingSettings()
configure_service_logs(get_settings().log_format)
MAX_UTTERANCE_CHARS = IMPORT_SETTINGS.max_utterance_chars
Utterance = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_UTTERANCE_CHARS)]
# Declared, so BentoML does not derive each response's media type from the output's JSON schema
# (it rebuilds that schema on every response: ~6% of the server's time at concurrency 16).
Json = ContentType("application/json")


class BentoArguments(BaseModel):
    """Set by ``bentoml build --arg``: the imported champion this Bento carries (none: use MLflow)."""

    bento_model: str | None = Field(None, description="BentoML model tag, e.g. emotion-model:v3")


ARGS = bentoml.use_arguments(BentoArguments)


@bentoml.asgi_app(build_web_app(), path="/ui")
@bentoml.service(
    name="emotion_classifier",
    resources={"gpu": 1, "cpu": "2"},
    workers=IMPORT_SETTINGS.worker_count(),
    threads=IMPORT_SETTINGS.threads,
    traffic={"timeout": 300, "max_concurrency": 256},
)
class EmotionClassifier:
    """Emotions of utterances and of uploaded audio/video, from the approved model."""

    imported_model = bentoml.models.BentoModel(ARGS.bento_model) if ARGS.bento_model else None

    def __init__(self) -> None:
        import torch

        from emotion_platform.lib.transcription import build_transcriber

        self.settings = ServingSettings()
        # The workers share the cores: each batch runs on its worker's share, without oversubscription.
        torch.set_num_threads(self.settings.torch_threads())
        self.settings.accepted_keys()  # refuse to start in production mode without keys
        platform = get_settings()
        self.model: LoadedModel = (
            load_from_folder(
                Path(self.imported_model.path),
                self.settings.device,
                self.settings.text_precision,
                self.settings.prepack_weights,
            )
            if self.imported_model is not None
            else load_from_registry(
                platform.tracking_uri,
                platform.registered_model,
                self.settings.model_alias,
                self.settings.device,
                self.settings.text_precision,
                self.settings.prepack_weights,
            )
        )
        bind_model(self.model.describe())
        self.transcriber = build_transcriber(
            self.settings.transcriber_backend,
            self.settings.whisper_model,
            platform.cache_dir,
            device=self.settings.device,
        )
        self.limits = self.settings.upload_limits()
        self.metrics = service_metrics()
        # The web page (/ui): its analyses run on this worker's models, in a small pool of its own.
        self.web: WebBackend = build_backend(
            self.settings.history_url(),
            self.settings.uploads_dir(),
            self.limits,
            self.settings.accepted_keys(),
            analyse_with(self.model.bundle, self.transcriber, self.limits, self.model.describe()),
            threads=self.settings.page_threads,
        )
        self.warm_up_s = warm_up(self.model.bundle, self.transcriber)
        logger.info("models warmed up (seconds): %s", self.warm_up_s)
        self.ready = True
        logger.info(
            "serving %s on %s with %d torch threads", self.model.describe(), self.model.device, torch.get_num_threads()
        )

    def __is_ready__(self) -> bool:
        return getattr(self, "ready", False)

    @bentoml.api(
        batchable=IMPORT_SETTINGS.text_batching,
        max_batch_size=IMPORT_SETTINGS.max_batch_size,
        max_latency_ms=IMPORT_SETTINGS.max_latency_ms,
    )
    def classify_text(
        self,
        utterances: Annotated[list[Utterance], Field(min_length=1, max_length=IMPORT_SETTINGS.max_utterances)],
    ) -> Annotated[list[dict], Json]:
        """Emotion distribution of each utterance (the text branch of the champion)."""
        self.metrics.observe_text_call(len(utterances))
        return classify_utterances(self.model.bundle, utterances)

    @bentoml.api
    def classify_media(self, file: Path) -> Annotated[dict, Json]:
        """Transcript segments of an uploaded audio or video file, each with its emotions, and a summary."""
        # BentoML stores the upload as tmp<8 random characters><client's file name>.
        filename = re.sub(r"^tmp[0-9a-z_]{8}", "", Path(file).name) or None
        try:
            result = classify_media(Path(file), self.model.bundle, self.transcriber, self.limits)
        except MediaRejected as error:
            self.metrics.count_rejection(error.code)
            return rejection_response(error, filename)  # type: ignore[return-value]  # BentoML sends a Response as it is
        except StorageFull as error:
            self.metrics.count_rejection(error.code)
            return error_response(  # type: ignore[return-value]  # BentoML sends a Response as it is
                507, error.code, f"the service cannot take {filename!r} now: {error.reason}"
            )
        self.metrics.observe_media(result["media"]["duration_s"], result["timing_s"]["total"])
        return result | {"model": self.model.describe()}

    @bentoml.api
    def model_info(self) -> Annotated[dict, Json]:
        """The model version this service answers with, its device and precision."""
        import torch

        return self.model.describe() | {
            "transcriber": {
                "backend": self.transcriber.backend,
                "model": self.transcriber.model_name,
                "device": self.transcriber.device,
            },
            "text_batching": IMPORT_SETTINGS.text_batching,
            "workers": IMPORT_SETTINGS.worker_count(),
            "torch_threads": torch.get_num_threads(),
            "started": _STARTED,
        }


_STARTED = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
# mypy keeps a decorated class's type: @bentoml.service made EmotionClassifier a Service.
EmotionClassifier.add_asgi_middleware(EdgeMiddleware)  # type: ignore[attr-defined]
EmotionClassifier.add_asgi_middleware(UploadNameGuard)  # type: ignore[attr-defined]  # BentoML cannot store an upload whose name is > 244 bytes
if IMPORT_SETTINGS.balance_connections:
    EmotionClassifier.add_asgi_middleware(  # type: ignore[attr-defined]
        ConnectionBalancer, workers=IMPORT_SETTINGS.worker_count(), skip_paths=HEALTH_PATHS
    )
