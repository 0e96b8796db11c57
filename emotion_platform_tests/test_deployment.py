"""The deployment switches: the executor, and the settings the scale profile derives from one variable."""

import pytest

from emotion_platform.deployment import ExecutorUnavailable, build_executor
from emotion_platform.settings import PlatformSettings


def test_multiprocess_is_the_default_executor(monkeypatch) -> None:
    monkeypatch.delenv("EMOTION_PLATFORM_EXECUTOR", raising=False)
    executor = build_executor(PlatformSettings(max_concurrent_steps=3))
    assert executor.name == "multiprocess"
    assert executor.config_schema.resolve_config({}).value["config"]["max_concurrent"] == 3


def test_the_kubernetes_executor_needs_dagster_k8s(monkeypatch) -> None:
    try:  # dagster-k8s is not in the lock; only the Kubernetes image installs it
        import dagster_k8s  # noqa: F401
    except ImportError:
        with pytest.raises(ExecutorUnavailable, match="dagster-k8s"):
            build_executor(PlatformSettings(executor="k8s"))
    else:
        assert build_executor(PlatformSettings(executor="k8s")).name == "k8s"


def test_one_variable_moves_mlflow_to_postgres(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("EMOTION_PLATFORM_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("EMOTION_PLATFORM_DEPLOYMENT", "scale")
    monkeypatch.setenv("EMOTION_PLATFORM_PG_HOST", "db.internal")
    monkeypatch.setenv("EMOTION_PLATFORM_PG_PASSWORD", "p@ss/word")
    settings = PlatformSettings(data_dir=tmp_path)
    assert settings.tracking_uri == "postgresql+psycopg2://emotion_platform:p%40ss%2Fword@db.internal:5432/mlflow"
    assert settings.experiment_artifact_root == str(tmp_path / "mlflow" / "artifacts")
    monkeypatch.setenv("EMOTION_PLATFORM_MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert PlatformSettings(data_dir=tmp_path).experiment_artifact_root is None  # the server's artifact store
    monkeypatch.setenv("EMOTION_PLATFORM_MLFLOW_ARTIFACT_URI", "s3://bucket/mlflow")
    assert PlatformSettings(data_dir=tmp_path).experiment_artifact_root == "s3://bucket/mlflow"
