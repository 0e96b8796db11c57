"""Which drift-check results start a retraining run: one run per drift event, none inside the cooldown.

A *drift event* is one failing evaluation of the drift check (one report of one window). The state
(kept in the sensor's cursor) remembers the last evaluation seen and when retraining last started;
:func:`decide_retrain` is pure, so the sensor is a thin shell around it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

HISTORY = 20


@dataclass(frozen=True)
class CheckEvent:
    """One evaluation of the drift check."""

    id: int
    run_id: str
    window: str | None
    passed: bool
    timestamp: float
    report: str = ""
    reason: str = ""

    @property
    def run_key(self) -> str:
        return f"drift-retrain:{self.window or 'all'}:{self.id}"


@dataclass
class TriggerState:
    last_event_id: int = 0
    last_trigger_ts: float | None = None
    history: list[dict] = field(default_factory=list)

    def to_cursor(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_cursor(cls, cursor: str | None) -> TriggerState:
        return cls(**json.loads(cursor)) if cursor else cls()


@dataclass
class Decision:
    triggered: list[CheckEvent]
    skipped: list[tuple[CheckEvent, str]]
    state: TriggerState


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).isoformat(timespec="seconds")


def decide_retrain(events: list[CheckEvent], state: TriggerState, cooldown_s: float) -> Decision:
    """Retrain for each new failing evaluation, unless one started less than ``cooldown_s`` before it."""
    triggered, skipped = [], []
    last_id, last_ts = state.last_event_id, state.last_trigger_ts
    history = list(state.history)
    for event in sorted((e for e in events if e.id > state.last_event_id), key=lambda e: e.id):
        last_id = max(last_id, event.id)
        if event.passed:
            continue
        if last_ts is not None and event.timestamp - last_ts < cooldown_s:
            reason = (
                f"drift in window {event.window} ({_iso(event.timestamp)}) is within the "
                f"{cooldown_s / 3600:g} h cooldown after the retraining started for drift at {_iso(last_ts)}"
            )
            skipped.append((event, reason))
            history.append({"event": event.id, "window": event.window, "action": "skipped", "why": reason})
            continue
        triggered.append(event)
        last_ts = event.timestamp
        history.append(
            {
                "event": event.id,
                "window": event.window,
                "action": "retrain",
                "run_key": event.run_key,
                "drift_run": event.run_id,
                "report": event.report,
                "why": event.reason,
            }
        )
    return Decision(triggered, skipped, TriggerState(last_id, last_ts, history[-HISTORY:]))
