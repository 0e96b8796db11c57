"""Platform settings, read from the environment (prefix ``EMOTION_PLATFORM_``) or a ``.env`` file.

Every path has an embedded default under the project's ``data/`` folder, so nothing must be set
to run locally::

    EMOTION_PLATFORM_DATA_DIR=/srv/emotion emotion-platform demo

One variable picks the deployment profile: ``EMOTION_PLATFORM_DEPLOYMENT=local`` (default: Dagster
and MLflow on sqlite files) or ``scale`` (both on PostgreSQL, connection in ``EMOTION_PLATFORM_PG_*``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.lib.whisper.models import DEFAULT_CACHE_DIR

PROJECT_ROOT = Path(__file__).resolve().parent.parent

WhisperModelName = Literal["tiny.en", "base"]
TranscriberBackend = Literal["openai-whisper", "faster-whisper"]
Device = Literal["auto", "cpu", "cuda"]


class MediaSettings(BaseSettings, MediaLimits):
    """The :class:`~emotion_platform.lib.media.limits.MediaLimits` of this deployment, each read from
    ``EMOTION_PLATFORM_MEDIA_<LIMIT>`` (or ``EMOTION_PLATFORM_MEDIA__<LIMIT>`` through the platform settings)."""

    model_config = SettingsConfigDict(env_prefix="EMOTION_PLATFORM_MEDIA_", extra="ignore")


class PostgresSettings(BaseSettings):
    """The PostgreSQL server of the scale profile (Dagster storage and the MLflow backend store)."""

    model_config = SettingsConfigDict(env_prefix="EMOTION_PLATFORM_PG_", extra="ignore")

    host: str = Field("localhost", description="Server host name.")
    port: int = Field(5432, description="Server port.")
    user: str = Field("emotion_platform", description="Role the platform connects as.")
    password: SecretStr = Field(SecretStr(""), description="Its password (empty: trust/peer authentication).")
    dagster_db: str = Field("dagster", description="Database of Dagster's run, event-log and schedule storage.")
    mlflow_db: str = Field("mlflow", description="Database of MLflow's backend store (runs and model registry).")
    history_db: str = Field("emotion_history", description="Database of the web page's analyses and corrections.")

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for ``database`` on this server, with the psycopg2 driver named explicitly."""
        secret = self.password.get_secret_value()
        auth = quote(self.user, safe="") + (f":{quote(secret, safe='')}" if secret else "")
        return f"postgresql+psycopg2://{auth}@{self.host}:{self.port}/{database}"


class PlatformSettings(BaseSettings):
    """Top-level settings of one platform deployment."""

    model_config = SettingsConfigDict(
        env_prefix="EMOTION_PLATFORM_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(PROJECT_ROOT / "data", description="Root of everything the platform writes.")
    inbox_dir: Path | None = Field(None, description="Folder watched for new media (default: data/inbox).")
    cache_dir: Path = Field(default_factory=lambda: DEFAULT_CACHE_DIR, description="Converted model cache.")
    datasets_dir: Path = Field(PROJECT_ROOT.parent / "shared" / "datasets", description="Labelled datasets.")
    whisper_model: WhisperModelName = "tiny.en"
    transcriber_backend: TranscriberBackend = "faster-whisper"
    device: Device = "auto"
    deployment: Literal["local", "scale"] = Field(
        "local", description="local: sqlite Dagster instance and MLflow store; scale: both on PostgreSQL."
    )
    executor: Literal["multiprocess", "k8s"] = Field(
        "multiprocess", description="Dagster executor: steps as local processes, or one Kubernetes job per step."
    )
    max_concurrent_steps: int = Field(2, description="Steps the multiprocess executor runs at once.")
    stall_warning_s: float = Field(
        600.0,
        gt=0,
        description="A long step (training, evaluation) that makes no progress for this long says so in its run log.",
    )
    log_format: Literal["console", "json"] = Field(
        "console",
        description="console: human-readable log lines; json: one JSON object per line with run, "
        "partition, request and model ids (for a log pipeline).",
    )
    recovery_attempts: int = Field(
        3,
        ge=1,
        description="Runs the inbox sensor requests for a media partition "
        "that never finished (a dead process) before it gives up.",
    )
    media: MediaSettings = Field(default_factory=MediaSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    mlflow_tracking_uri: str | None = Field(
        None,
        description="Default: sqlite:///<data_dir>/mlflow/mlflow.db (local) or the PostgreSQL mlflow_db "
        "(scale); an http(s) URL uses an MLflow tracking server.",
    )
    mlflow_artifact_uri: str | None = Field(
        None, description="Artifact root of new experiments, e.g. s3://bucket/mlflow (default: data/mlflow/artifacts)"
    )
    mlflow_experiment: str = "emotion-platform"
    registered_model: str = "emotion-model"

    @property
    def tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        if self.deployment == "scale":
            return self.postgres.url(self.postgres.mlflow_db)
        return f"sqlite:///{self.data_dir / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> str:
        """Where the platform keeps MLflow artifacts: a URI (object storage) or a local folder."""
        return self.mlflow_artifact_uri or str(self.data_dir / "mlflow" / "artifacts")

    @property
    def experiment_artifact_root(self) -> str | None:
        """The artifact root given to new experiments; None lets an MLflow tracking server use its own
        (``mlflow server --artifacts-destination``)."""
        if not self.mlflow_artifact_uri and self.tracking_uri.startswith(("http://", "https://")):
            return None
        return self.mlflow_artifact_root

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    """The settings of this process (read once)."""
    return PlatformSettings()
