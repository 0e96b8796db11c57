"""The service's own Prometheus metrics, next to BentoML's request counts and latency histograms.

Created when the service starts (not at import): BentoML workers point prometheus_client at
their multiprocess directory during start-up, and metrics made before that would not be exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram


@dataclass(frozen=True)
class ServiceMetrics:
    utterances_per_call: Histogram
    media_seconds: Histogram
    media_processing_seconds: Histogram
    rejections: Counter
    rebalanced_connections: Counter

    def observe_text_call(self, n: int) -> None:
        self.utterances_per_call.observe(n)

    def observe_media(self, duration_s: float, processing_s: float) -> None:
        self.media_seconds.observe(duration_s)
        self.media_processing_seconds.observe(processing_s)

    def count_rejection(self, code: str) -> None:
        self.rejections.labels(code=code).inc()


_METRICS: ServiceMetrics | None = None


def service_metrics() -> ServiceMetrics:
    """The process's metrics (created once)."""
    global _METRICS
    if _METRICS is None:
        from prometheus_client import Counter, Histogram

        _METRICS = ServiceMetrics(
            utterances_per_call=Histogram(
                "emotion_text_utterances_per_model_call",
                "Utterances the text model classified in one call (the batch size after adaptive batching)",
                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            ),
            media_seconds=Histogram(
                "emotion_media_duration_seconds",
                "Duration of classified uploads",
                buckets=(1, 5, 15, 30, 60, 120, 300, 600, 900),
            ),
            media_processing_seconds=Histogram(
                "emotion_media_processing_seconds",
                "Time to decode, transcribe and classify one upload",
                buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
            ),
            rejections=Counter("emotion_rejected_requests", "Requests rejected for their input", ["code"]),
            rebalanced_connections=Counter(
                "emotion_rebalanced_connections", "Keep-alive connections closed to even out the workers' load"
            ),
        )
    return _METRICS
