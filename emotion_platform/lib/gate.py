"""The promotion gate: may a candidate model replace the champion?

A candidate passes when all hold, each reported with its evidence:
* quality floor: test weighted F1 >= ``min_weighted_f1``;
* latency SLO: CPU p95 latency at batch size 1 <= ``max_p95_latency_ms``;
* no regression: when a champion exists, candidate weighted F1 >= champion's - ``tolerance``
  (both measured on the same test examples in the same evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field


class GateConfig(BaseModel):
    """The gate's thresholds (a deployment decision, not a per-run knob)."""

    model_config = ConfigDict(frozen=True)

    min_weighted_f1: float = Field(0.55, description="Quality floor: test weighted F1.")
    max_p95_latency_ms: float = Field(100.0, description="Latency SLO: CPU p95 at batch size 1.")
    tolerance: float = Field(0.01, description="Allowed weighted-F1 drop against the current champion.")


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def decide(candidate: dict, champion: dict | None, config: GateConfig) -> GateDecision:
    """``candidate``/``champion``: evaluation dicts with ``weighted_f1`` and ``latency`` (``p95_ms``)."""
    reasons: list[str] = []
    failures: list[str] = []
    f1 = candidate["weighted_f1"]
    p95 = candidate["latency"]["p95_ms"]
    (reasons if f1 >= config.min_weighted_f1 else failures).append(
        f"weighted F1 {f1:.4f} {'>=' if f1 >= config.min_weighted_f1 else '<'} floor {config.min_weighted_f1:.4f}"
    )
    (reasons if p95 <= config.max_p95_latency_ms else failures).append(
        f"p95 latency {p95:.1f} ms {'<=' if p95 <= config.max_p95_latency_ms else '>'} SLO "
        f"{config.max_p95_latency_ms:.1f} ms"
    )
    evidence = {"candidate_weighted_f1": f1, "candidate_p95_ms": p95, **config.model_dump()}
    if champion is None:
        reasons.append("no current champion")
    else:
        floor = champion["weighted_f1"] - config.tolerance
        ok = f1 >= floor
        (reasons if ok else failures).append(
            f"weighted F1 {f1:.4f} {'>=' if ok else '<'} champion {champion['weighted_f1']:.4f} - tolerance "
            f"{config.tolerance:.4f}"
        )
        evidence["champion_weighted_f1"] = champion["weighted_f1"]
    return GateDecision(passed=not failures, reasons=failures or reasons, evidence=evidence)
