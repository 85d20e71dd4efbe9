"""Circuit breakers per target and jittered retry backoff.

A breaker is ``closed`` (calls flow), ``open`` (calls are skipped until
``reset_timeout_s`` has passed) or ``half_open`` (one probe call decides: success closes,
failure reopens). A probe that never reports back (its client went away) does not wedge the
breaker: after another reset period a new probe is let through.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Literal

from .config import BreakerConfig

__all__ = ["BreakerState", "CircuitBreaker", "backoff_delay"]

BreakerState = Literal["closed", "open", "half_open"]

_BACKOFF_BASE_S = 0.025
_BACKOFF_CAP_S = 0.5


def backoff_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    ceiling = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * (2**attempt))
    return (rng or random).uniform(0, ceiling)


class CircuitBreaker:
    def __init__(self, config: BreakerConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = config.failure_threshold
        self._reset_s = config.reset_timeout_s
        self._clock = clock
        self.state: BreakerState = "closed"
        self.failures = 0
        self._opened_at = 0.0
        self._probe_at: float | None = None

    def allow(self) -> bool:
        """May a call go to this target now? In half-open state this claims the probe."""
        if self.state == "closed":
            return True
        now = self._clock()
        if self.state == "open":
            if now - self._opened_at < self._reset_s:
                return False
            self.state = "half_open"
        if self._probe_at is not None and now - self._probe_at < self._reset_s:
            return False
        self._probe_at = now
        return True

    def available(self) -> bool:
        """Would ``allow`` let a call through (without claiming a probe)?"""
        if self.state == "closed":
            return True
        now = self._clock()
        if self.state == "open":
            return now - self._opened_at >= self._reset_s
        return self._probe_at is None or now - self._probe_at >= self._reset_s

    def record_success(self) -> None:
        self.state = "closed"
        self.failures = 0
        self._probe_at = None

    def record_failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self._threshold:
            self.state = "open"
            self._opened_at = self._clock()
            self._probe_at = None
