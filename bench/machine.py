"""What the machine gave a benchmark: CPU time stolen by the hypervisor, next to the load average.

On a shared virtual machine the host can take a large share of the vCPUs' time (``steal`` in
``/proc/stat``); timings taken then are slower for reasons outside the program. Benchmarks print
the share of CPU time stolen during their run so their numbers can be read against it.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def cpu_times() -> list[int] | None:
    """The aggregate CPU counters (user, nice, system, idle, iowait, irq, softirq, steal, ...), or None."""
    if not PROC_STAT.exists():
        return None
    fields = PROC_STAT.read_text().splitlines()[0].split()
    return [int(v) for v in fields[1:]]


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """Share of all CPU time between two :func:`cpu_times` snapshots that the hypervisor stole."""
    if before is None or after is None or len(before) < 8:
        return None
    delta = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(delta[:8])
    return delta[7] / total if total > 0 else None


def describe(before: list[int] | None) -> str:
    """One line: cores, load average now, and the CPU steal since ``before``."""
    steal = steal_share(before, cpu_times())
    stolen = f"{steal:.0%}" if steal is not None else "unknown"
    return (
        f"CPU cores: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}; "
        f"CPU time stolen by the hypervisor during the run: {stolen}"
    )
