"""What differs between deployments besides storage: the Dagster executor.

``EMOTION_PLATFORM_EXECUTOR=multiprocess`` (default) runs the steps of a run as local processes,
``EMOTION_PLATFORM_MAX_CONCURRENT_STEPS`` at a time. ``k8s`` runs each step as its own Kubernetes
job (``dagster_k8s.k8s_job_executor``; the package is installed in the Kubernetes image,
``docker/Dockerfile.platform`` with ``--build-arg KUBERNETES=1``), for the scale profile on a cluster.
"""

from __future__ import annotations

import dagster as dg

from emotion_platform.lib.errors import Unavailable
from emotion_platform.settings import PlatformSettings


class ExecutorUnavailable(Unavailable):
    """The configured executor cannot be used in this environment."""


def build_executor(settings: PlatformSettings) -> dg.ExecutorDefinition:
    if settings.executor == "k8s":
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError as error:
            raise ExecutorUnavailable(
                "EMOTION_PLATFORM_EXECUTOR=k8s needs the dagster-k8s package, which only the Kubernetes image "
                "installs (docker/Dockerfile.platform --build-arg KUBERNETES=1); use 'multiprocess' elsewhere"
            ) from error
        return k8s_job_executor
    return dg.multiprocess_executor.configured({"max_concurrent": settings.max_concurrent_steps})
