"""Per-key token buckets: parsing, refusal with a wait, and one budget shared by several processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from emotion_platform.serving.rate_limit import KeyRateLimiter, RateLimitConfigError, key_id, parse_rate


def test_rates_read_as_count_per_period() -> None:
    rate = parse_rate("600/minute")
    assert (rate.limit, rate.interval) == (600, 60_000)
    assert parse_rate(" 5 / Second ").interval == 1000
    assert parse_rate("off") is None
    for bad in ("600", "0/minute", "ten/minute", "5/fortnight"):
        with pytest.raises(RateLimitConfigError, match="600/minute"):
            parse_rate(bad)


def test_a_key_over_its_budget_is_told_how_long_to_wait(tmp_path: Path) -> None:
    limiter = KeyRateLimiter(tmp_path / "buckets.sqlite", "4/minute", {"partner": "off", "tight": "1/hour"})
    verdicts = [limiter.check("someone") for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, True, False]
    assert 1 <= verdicts[-1].retry_after_s <= 15  # one token comes back every 15 s
    assert verdicts[-1].limit == "4/minute"
    assert limiter.check("another").allowed  # every key has its own bucket
    assert all(limiter.check("partner").allowed for _ in range(50))
    assert limiter.check("tight").allowed
    refused = limiter.check("tight")
    assert not refused.allowed and 3500 <= refused.retry_after_s <= 3600 and refused.limit == "1/hour"


def test_the_state_holds_no_keys(tmp_path: Path) -> None:
    limiter = KeyRateLimiter(tmp_path / "buckets.sqlite", "4/minute")
    limiter.check("secret-key-value")
    assert b"secret-key-value" not in (tmp_path / "buckets.sqlite").read_bytes()
    assert len(key_id("secret-key-value")) == 16


def _spend(db: str, tries: int, results) -> None:
    limiter = KeyRateLimiter(Path(db), "20/hour")
    results.put(sum(limiter.check("shared-key").allowed for _ in range(tries)))


@pytest.mark.slow
def test_workers_in_separate_processes_share_one_budget(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_spend, args=(str(tmp_path / "buckets.sqlite"), 15, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    admitted = [results.get(timeout=5) for _ in workers]
    assert sum(admitted) == 20, admitted  # 60 attempts, one bucket of 20 tokens
