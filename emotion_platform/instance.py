"""The local Dagster instance: a sqlite-backed DAGSTER_HOME inside the project, made on first use."""

from __future__ import annotations

import os
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.settings import PROJECT_ROOT

DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
LOCAL_INSTANCE_YAML = """\
# Local profile: run, event-log and schedule storage in sqlite files in this folder.
telemetry:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """Point DAGSTER_HOME at the project's folder (unless already set) and make sure it has a dagster.yaml."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        atomic.write_text(config, LOCAL_INSTANCE_YAML)
    return home
