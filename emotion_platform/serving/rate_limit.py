"""Request rate limits per API key: a token bucket each key spends from, shared by every worker.

The policy is pyrate-limiter's :class:`~pyrate_limiter.abstracts.algorithm.TokenBucket` (a bucket of
``limit`` tokens refilled at ``limit`` per period). Its state, one number per key, lives in a SQLite
file that every worker process of the server opens (:class:`SqliteStateStore`): each check is one
``BEGIN IMMEDIATE`` transaction, so two workers never spend the same token. A refused request gets
429 with ``Retry-After``: the seconds until the key has a token again.

    EMOTION_PLATFORM_SERVING_RATE_LIMIT=1200/minute                   # every key (off: no limit)
    EMOTION_PLATFORM_SERVING_RATE_LIMITS='{"partner-key": "60/minute"}'  # per key
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from pyrate_limiter import Duration, Rate, RateItem
from pyrate_limiter.abstracts.algorithm import Decision, State, StateAlgorithm, TokenBucket
from pyrate_limiter.abstracts.store import StateStore
from pyrate_limiter.buckets.state_bucket import StateBucket
from pyrate_limiter.clocks import WallClock

from emotion_platform.lib.errors import ConfigError

PERIODS = {"second": Duration.SECOND, "minute": Duration.MINUTE, "hour": Duration.HOUR, "day": Duration.DAY}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
OFF = "off"


class RateLimitConfigError(ConfigError):
    """A rate limit setting that does not read as ``<count>/<second|minute|hour|day>``."""


def parse_rate(text: str) -> Rate | None:
    """``"600/minute"`` -> a Rate of 600 per minute (burst 600); ``"off"`` -> None (unlimited)."""
    if text.strip().lower() == OFF:
        return None
    match = _RATE.match(text.lower())
    if not match or int(match.group(1)) < 1:
        raise RateLimitConfigError(f"rate limit {text!r} should read like '600/minute' (or 'off')")
    return Rate(int(match.group(1)), PERIODS[match.group(2)])


class SqliteStateStore(StateStore):
    """One key's token-bucket state in a SQLite file shared by processes (atomic per check)."""

    default_clock = WallClock()  # the same clock in every worker process

    def __init__(self, db_path: Path, key_id: str, timeout_s: float = 5.0) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.key_id = key_id
        self.conn = sqlite3.connect(str(db_path), timeout=timeout_s, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")  # a power cut may forget the last spends; never corrupts
        self.conn.execute("CREATE TABLE IF NOT EXISTS token_buckets (key_id TEXT PRIMARY KEY, state TEXT NOT NULL)")

    def _load(self, algorithm: StateAlgorithm, rates: list[Rate]) -> State:
        row = self.conn.execute("SELECT state FROM token_buckets WHERE key_id = ?", (self.key_id,)).fetchone()
        return algorithm.decode(row[0].split(",")) if row else algorithm.initial(rates)

    def check(self, algorithm: StateAlgorithm, rates: list[Rate], now: int, weight: int) -> Decision:
        self.conn.execute("BEGIN IMMEDIATE")  # a write lock: other workers wait, then see this spend
        try:
            state = self._load(algorithm, rates)
            new_state, decision = algorithm.step(rates, state, now, weight)
            if new_state != state:
                self.conn.execute(
                    "INSERT OR REPLACE INTO token_buckets VALUES (?, ?)",
                    (self.key_id, ",".join(str(v) for v in new_state)),
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return decision

    def read(self, algorithm: StateAlgorithm, rates: list[Rate]) -> State:
        return self._load(algorithm, rates)

    def reset(self) -> None:
        self.conn.execute("DELETE FROM token_buckets WHERE key_id = ?", (self.key_id,))

    def close(self) -> None:
        self.conn.close()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0
    limit: str = ""


def key_id(api_key: str) -> str:
    """A stable, non-secret name for a key (the state file never holds keys themselves)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


class KeyRateLimiter:
    """Per-key token buckets; keys without their own limit get ``default``. Buckets are found by key id,
    so a page session (which knows only the id) spends from its key's bucket."""

    def __init__(self, db_path: Path, default: str, per_key: dict[str, str] | None = None) -> None:
        self.db_path = db_path
        self.default = parse_rate(default)
        self.default_text = default
        self.per_id = {key_id(key): (parse_rate(rate), rate) for key, rate in (per_key or {}).items()}
        self._buckets: dict[str, StateBucket] = {}

    def check(self, api_key: str) -> Verdict:
        """Spend one token of ``api_key``'s bucket, or say how long until there is one."""
        return self.check_id(key_id(api_key))

    def check_id(self, identity: str) -> Verdict:
        rate, limit = self.per_id.get(identity, (self.default, self.default_text))
        if rate is None:
            return Verdict(True)
        bucket = self._buckets.get(identity)
        if bucket is None:
            store = SqliteStateStore(self.db_path, identity)
            bucket = self._buckets[identity] = StateBucket([rate], algorithm=TokenBucket(), store=store)
        item = RateItem(identity, bucket.now())
        if bucket.put(item):
            return Verdict(True, limit=limit)
        wait_ms = cast(int, bucket.waiting(item))  # a bucket over a synchronous store answers at once
        return Verdict(False, max(1, math.ceil(wait_ms / 1000)), limit)
