"""The Dagster instance of this deployment: DAGSTER_HOME and its dagster.yaml, made on first use.

``EMOTION_PLATFORM_DEPLOYMENT`` picks the storage:

* ``local`` (default): run, event-log and schedule storage in sqlite files inside DAGSTER_HOME
  (``.dagster_home/`` in the project);
* ``scale``: the same storages in PostgreSQL (``dagster_postgres``), reached with the
  ``EMOTION_PLATFORM_PG_*`` settings. The YAML is identical to ``docker/dagster.yaml``, the file the
  containers and the Helm chart use.

Both enable run monitoring and run retries (a run whose worker died is marked failed and launched
again by the daemon). A dagster.yaml written by someone else (one that does not start with a
generated file's first line) is left alone; an older generated one is brought up to date.
"""

from __future__ import annotations

import os
from pathlib import Path

from emotion_platform.lib import atomic
from emotion_platform.settings import PROJECT_ROOT, PlatformSettings, get_settings

DEFAULT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
# Both profiles: the daemon marks failed the runs whose worker died (run monitoring) and launches them
# again, at most twice, when the worker crashed (not when an asset failed; those fail the same way again).
RECOVERY_YAML = """\
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  poll_interval_seconds: 30
  max_resume_run_attempts: 0
run_retries:
  enabled: true
  max_retries: 2
  retry_on_asset_or_op_failure: false
"""
LOCAL_INSTANCE_YAML = (
    """\
# Local profile: run, event-log and schedule storage in sqlite files in this folder.
telemetry:
  enabled: false
"""
    + RECOVERY_YAML
)
SCALE_INSTANCE_YAML = (
    """\
# Scale profile: run, event-log and schedule storage in PostgreSQL (dagster-postgres).
# The connection comes from the EMOTION_PLATFORM_PG_* variables (see emotion_platform/settings.py).
storage:
  postgres:
    postgres_db:
      hostname:
        env: EMOTION_PLATFORM_PG_HOST
      port:
        env: EMOTION_PLATFORM_PG_PORT
      username:
        env: EMOTION_PLATFORM_PG_USER
      password:
        env: EMOTION_PLATFORM_PG_PASSWORD
      db_name:
        env: EMOTION_PLATFORM_PG_DAGSTER_DB
      scheme: postgresql+psycopg2  # SQLAlchemy 2.1 would otherwise pick psycopg 3, which is not installed
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
telemetry:
  enabled: false
"""
    + RECOVERY_YAML
)
INSTANCE_YAML = {"local": LOCAL_INSTANCE_YAML, "scale": SCALE_INSTANCE_YAML}
GENERATED_HEADERS = tuple(text.splitlines()[0] for text in INSTANCE_YAML.values())


def export_postgres_env(settings: PlatformSettings) -> None:
    """Put the effective PostgreSQL settings (defaults included) into the environment dagster.yaml reads."""
    pg = settings.postgres
    values = {
        "HOST": pg.host,
        "PORT": str(pg.port),
        "USER": pg.user,
        "PASSWORD": pg.password.get_secret_value(),
        "DAGSTER_DB": pg.dagster_db,
    }
    for name, value in values.items():
        os.environ.setdefault(f"EMOTION_PLATFORM_PG_{name}", value)


def ensure_dagster_home(settings: PlatformSettings | None = None) -> Path:
    """Point DAGSTER_HOME at the project's folder (unless already set) with the profile's dagster.yaml."""
    settings = settings or get_settings()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_DAGSTER_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = INSTANCE_YAML[settings.deployment]
    current = config.read_text() if config.exists() else None
    generated = current is not None and current.startswith(GENERATED_HEADERS)
    if current is None or (current != wanted and generated):
        atomic.write_text(config, wanted)
    if settings.deployment == "scale":
        export_postgres_env(settings)
    return home
