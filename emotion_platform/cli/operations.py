"""Operations commands: where the deployment keeps things, the platform's Prometheus metrics."""

from __future__ import annotations

import click

from emotion_platform.cli import console, main
from emotion_platform.settings import PROJECT_ROOT, get_settings


@main.command()
def where() -> None:
    """Print the folders this deployment uses."""
    settings = get_settings()
    for name in ("data_dir", "inbox", "cache_dir", "datasets_dir"):
        console.print(f"{name:<13} {getattr(settings, name)}")
    console.print(f"{'project':<13} {PROJECT_ROOT}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 in a container).")
@click.option("--port", default=9108, show_default=True, help="Port of http://<host>:<port>/metrics.")
def metrics(host: str, port: int) -> None:
    """Serve the platform's Prometheus metrics (runs, quarantine, drift, champion) until stopped."""
    import threading

    import dagster as dg
    from prometheus_client import CollectorRegistry, start_http_server

    from emotion_platform.instance import ensure_dagster_home
    from emotion_platform.lib.tracking import ModelRegistry
    from emotion_platform.platform_metrics import PlatformCollector

    ensure_dagster_home()
    settings = get_settings()
    registry = CollectorRegistry()
    with dg.DagsterInstance.get() as instance:
        registry.register(
            PlatformCollector(
                instance, settings.data_dir, ModelRegistry(settings.tracking_uri, settings.registered_model)
            )
        )
        server, _ = start_http_server(port, addr=host, registry=registry)
        console.print(f"platform metrics on http://{host}:{server.server_port}/metrics (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            server.shutdown()
