"""Serving settings, read from the environment (prefix ``EMOTION_PLATFORM_SERVING_``).

    EMOTION_PLATFORM_SERVING_MODE=production
    EMOTION_PLATFORM_SERVING_API_KEYS=key-one,key-two
    EMOTION_PLATFORM_SERVING_DEVICE=auto          # cuda when torch sees a GPU, else cpu
    EMOTION_PLATFORM_SERVING_TEXT_PRECISION=auto  # float16 on GPU, bfloat16 on a bf16-capable CPU, if accurate
    EMOTION_PLATFORM_SERVING_PREPACK_WEIGHTS=false  # keep the CPU text model's linear weights in torch's layout
    EMOTION_PLATFORM_SERVING_TEXT_BATCHING=false  # read when the service module is imported
    EMOTION_PLATFORM_SERVING_WORKERS=auto         # one per CPU core (at most 8) on CPU, one on a GPU
    EMOTION_PLATFORM_SERVING_RATE_LIMIT=100/second  # per API key, shared by the workers (off: none)
    EMOTION_PLATFORM_SERVING_RATE_LIMITS='{"<key>": "10/minute"}'  # a key's own limit

Where the model comes from (MLflow tracking URI, registered model name) is the platform's own
setting (:class:`emotion_platform.settings.PlatformSettings`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from emotion_platform.lib.errors import ConfigError
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.model_fields import same_as

logger = logging.getLogger(__name__)

# Each worker holds its own copy of the models and the transcriber in memory.
MAX_AUTO_WORKERS = 8

# Accepted only in development mode, and only when no key is configured (a warning says so).
DEVELOPMENT_KEY = "local-development-key"


class ServingConfigError(ConfigError):
    """The service is configured in a way it refuses to start with."""


class ServingSettings(BaseSettings):
    """How the service authenticates, what it accepts, where it runs its models."""

    model_config = SettingsConfigDict(env_prefix="EMOTION_PLATFORM_SERVING_", env_file=".env", extra="ignore")

    mode: Literal["development", "production"] = Field(
        "development", description="production refuses to start without API keys."
    )
    api_keys: str = Field("", description="Comma-separated API keys accepted on every non-health endpoint.")
    api_keys_file: Path | None = Field(None, description="A file with one API key per line (e.g. a secret mount).")
    model_alias: str = Field("champion", description="The MLflow alias of the model to serve.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: the GPU when torch sees one.")
    text_precision: Literal["auto", "float32"] = Field(
        "auto",
        description="auto: the text model in float16 on a GPU, in bfloat16 on a CPU with native bfloat16 "
        "(AVX512-BF16/AMX), each only when its probabilities stay within 0.01 of float32; float32: never reduce.",
    )
    prepack_weights: bool = Field(
        True,
        description="On a CPU, reorder the bfloat16 text model's linear weights for oneDNN once at load "
        "(same results, faster at small batches: docs/serving.md; kept only when its probabilities match).",
    )
    transcriber_backend: Literal["openai-whisper", "faster-whisper"] = "faster-whisper"
    whisper_model: Literal["tiny.en", "base"] = "tiny.en"
    max_upload_bytes: int = Field(100 * 1024**2, description="Largest accepted upload, in bytes.")
    max_duration_s: float = Field(15 * 60.0, description="Longest accepted media, in seconds.")
    min_duration_s: float = same_as(MediaLimits, "min_duration_s")
    max_text_request_bytes: int = Field(1024**2, description="Largest accepted JSON body of a text request.")
    max_utterances: int = Field(256, description="Most utterances in one text request.")
    max_utterance_chars: int = Field(2000, description="Longest accepted utterance.")
    text_batching: bool = Field(True, description="Adaptive batching of text requests (read at import).")
    max_batch_size: int = Field(64, description="Most utterances the adaptive batcher runs together.")
    max_latency_ms: int = Field(
        10_000, description="Adaptive batching: a request expected to wait longer is refused (503)."
    )
    threads: int = Field(4, description="Threads running model calls (text batches and media side by side).")
    workers: int | Literal["auto"] = Field(
        "auto",
        description="Server processes (read at import). auto: one per CPU core, at most 8, on a CPU "
        "machine; one on a GPU machine (a single copy of the models on the GPU).",
    )
    balance_connections: bool = Field(
        True,
        description="With several workers, close a keep-alive connection now and then where that evens out "
        "the connections the workers hold (read at import).",
    )
    rate_limit: str = Field(
        "100/second",
        description="Requests each API key may make: '<count>/<second|minute|hour|day>', a token "
        "bucket of <count> refilled over the period, shared by all workers; 'off' for none.",
    )
    rate_limits: dict[str, str] = Field(
        default_factory=dict, description="Limits of particular keys (JSON object: key -> rate), over rate_limit."
    )
    rate_limit_db: Path | None = Field(
        None,
        description="SQLite file holding the buckets, shared by the workers (default: "
        "<data_dir>/serving/rate_limits.sqlite).",
    )
    history_db_url: str | None = Field(
        None,
        description="Database of the web page's analyses and corrections (SQLAlchemy URL). Default: "
        "<data_dir>/serving/history.sqlite, or the PostgreSQL history_db in the scale profile.",
    )
    page_media_dir: Path | None = Field(
        None, description="Where the page keeps uploaded media (default: <data_dir>/serving/uploads)."
    )
    page_threads: int = Field(1, ge=1, description="Analyses each worker runs at once for the web page.")
    threads_per_worker: int | Literal["auto"] = Field(
        "auto", description="Torch intra-op threads in each worker. auto: the cores divided among the workers."
    )

    def upload_limits(self) -> MediaLimits:
        """What one upload may be: this service's size and duration limits, the model's defaults for the rest."""
        return MediaLimits(
            max_bytes=self.max_upload_bytes, max_duration_s=self.max_duration_s, min_duration_s=self.min_duration_s
        )

    def worker_count(self) -> int:
        """How many server processes to run (each with its own model copy and adaptive batcher)."""
        if self.workers != "auto":
            if self.workers < 1:
                raise ServingConfigError(f"workers must be at least 1, not {self.workers}")
            return self.workers
        if self.uses_gpu():
            return 1
        return max(1, min(MAX_AUTO_WORKERS, available_cores()))

    def torch_threads(self) -> int:
        """Intra-op threads for each worker's torch models (auto: the cores shared out among the workers)."""
        if self.threads_per_worker != "auto":
            if self.threads_per_worker < 1:
                raise ServingConfigError(f"threads_per_worker must be at least 1, not {self.threads_per_worker}")
            return self.threads_per_worker
        return max(1, available_cores() // self.worker_count())

    def rate_limit_path(self) -> Path:
        from emotion_platform.settings import get_settings

        return self.rate_limit_db or get_settings().data_dir / "serving" / "rate_limits.sqlite"

    def history_url(self) -> str:
        from emotion_platform.settings import get_settings

        if self.history_db_url:
            return self.history_db_url
        platform = get_settings()
        if platform.deployment == "scale":
            return platform.postgres.url(platform.postgres.history_db)
        path = platform.data_dir / "serving" / "history.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"

    def uploads_dir(self) -> Path:
        from emotion_platform.settings import get_settings

        return self.page_media_dir or get_settings().data_dir / "serving" / "uploads"

    def uses_gpu(self) -> bool:
        from emotion_platform.lib.transcription.devices import torch_device

        return torch_device(self.device).startswith("cuda")

    def accepted_keys(self) -> frozenset[str]:
        """The API keys this service accepts; raises in production mode when there are none."""
        keys = {k.strip() for k in self.api_keys.split(",") if k.strip()}
        if self.api_keys_file is not None:
            lines = Path(self.api_keys_file).read_text().splitlines()
            keys |= {line.strip() for line in lines if line.strip() and not line.startswith("#")}
        if keys:
            return frozenset(keys)
        if self.mode == "production":
            raise ServingConfigError(
                "production mode needs API keys: set EMOTION_PLATFORM_SERVING_API_KEYS or "
                "EMOTION_PLATFORM_SERVING_API_KEYS_FILE"
            )
        logger.warning("no API key configured: development mode accepts the key %r", DEVELOPMENT_KEY)
        return frozenset({DEVELOPMENT_KEY})


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. a container's cpuset)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
