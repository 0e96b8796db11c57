"""One retraining per drift event, none inside the cooldown, none for passing checks; state survives the cursor."""

from emotion_platform.lib.drift.trigger import CheckEvent, TriggerState, decide_retrain

HOUR = 3600.0


def _event(i, passed, at_h, window="2026-11-20"):
    return CheckEvent(
        id=i,
        run_id=f"run{i}",
        window=window,
        passed=passed,
        timestamp=at_h * HOUR,
        report=f"/data/drift/reports/{window}/report.html",
        reason="12 of 30 columns drifted",
    )


def test_failing_check_triggers_once_then_cooldown_then_again() -> None:
    first = decide_retrain([_event(1, False, 0)], TriggerState(), cooldown_s=12 * HOUR)
    assert [e.id for e in first.triggered] == [1] and first.triggered[0].run_key == "drift-retrain:2026-11-20:1"
    state = TriggerState.from_cursor(first.state.to_cursor())
    again = decide_retrain([_event(1, False, 0)], state, cooldown_s=12 * HOUR)  # the same event seen twice
    assert not again.triggered and not again.skipped
    cooled = decide_retrain([_event(2, False, 3)], again.state, cooldown_s=12 * HOUR)
    assert not cooled.triggered and "cooldown" in cooled.skipped[0][1]
    passing = decide_retrain([_event(3, True, 20)], cooled.state, cooldown_s=12 * HOUR)
    assert not passing.triggered and not passing.skipped and passing.state.last_event_id == 3
    later = decide_retrain([_event(4, False, 13)], passing.state, cooldown_s=12 * HOUR)
    assert [e.id for e in later.triggered] == [4]
    actions = [h["action"] for h in later.state.history]
    assert actions == ["retrain", "skipped", "retrain"]
    assert later.state.history[0]["report"].endswith("report.html") and later.state.history[0]["drift_run"] == "run1"


def test_two_events_in_one_tick_start_one_run() -> None:
    decision = decide_retrain([_event(6, False, 1.0), _event(5, False, 0.5)], TriggerState(), cooldown_s=HOUR)
    assert [e.id for e in decision.triggered] == [5] and [e.id for e, _ in decision.skipped] == [6]
