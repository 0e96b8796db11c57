"""Platform settings, read from the environment (prefix ``EMOTION_PLATFORM_``) or a ``.env`` file.

Every path has an embedded default under the project's ``data/`` folder, so nothing must be set
to run locally::

    EMOTION_PLATFORM_DATA_DIR=/srv/emotion emotion-platform demo
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

WhisperModelName = Literal["tiny.en", "base"]
TranscriberBackend = Literal["openai-whisper", "faster-whisper"]
Device = Literal["auto", "cpu", "cuda"]


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "emotion_platform"


class MediaLimits(BaseSettings):
    """What the platform accepts as one media file."""

    model_config = SettingsConfigDict(env_prefix="EMOTION_PLATFORM_MEDIA_", extra="ignore")

    max_bytes: int = Field(2 * 1024**3, description="Largest accepted file, in bytes.")
    max_duration_s: float = Field(3 * 3600.0, description="Longest accepted media, in seconds.")
    min_duration_s: float = Field(0.1, description="Shorter media has nothing to transcribe.")
    frame_rate: float = Field(2.0, description="Video frames sampled per second for later stages.")
    frame_max_side: int = Field(640, description="Sampled frames are scaled so no side exceeds this.")


class PlatformSettings(BaseSettings):
    """Top-level settings of one platform deployment."""

    model_config = SettingsConfigDict(
        env_prefix="EMOTION_PLATFORM_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    data_dir: Path = Field(PROJECT_ROOT / "data", description="Root of everything the platform writes.")
    inbox_dir: Path | None = Field(None, description="Folder watched for new media (default: data/inbox).")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Converted model cache.")
    datasets_dir: Path = Field(PROJECT_ROOT.parent / "shared" / "datasets", description="Labelled datasets.")
    whisper_model: WhisperModelName = "tiny.en"
    transcriber_backend: TranscriberBackend = "faster-whisper"
    device: Device = "auto"
    deployment: Literal["local", "scale"] = "local"
    media: MediaLimits = Field(default_factory=MediaLimits)
    mlflow_tracking_uri: str | None = Field(None, description="Default: sqlite:///<data_dir>/mlflow/mlflow.db")
    mlflow_experiment: str = "emotion-platform"
    registered_model: str = "emotion-model"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.data_dir / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> Path:
        return self.data_dir / "mlflow" / "artifacts"

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    """The settings of this process (read once)."""
    return PlatformSettings()
