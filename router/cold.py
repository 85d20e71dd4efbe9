"""Targets that scale to zero: wait for them within the request's budget, or move on.

A scale-to-zero target (``TargetConfig.cold``) answers its first request after an idle
period with a refused connection (no pod behind the Service), a 503 (a platform front
without an instance, often with ``Retry-After``) or not at all until an instance is up
(Cloud Run and Container Apps hold the request). Those are *warming* signals, not
failures (from a target that answered within ``idle_s`` only a refused connection is):
the router keeps trying the same target until its first byte arrives, as long as the
request's deadline allows, and falls back to the next target only when the deadline
cannot cover the expected warm-up (``ColdStartConfig.warm_s``). Such a fallback does not
count against the target's circuit breaker, and it sends a wake-up (``GET /models``) so the
next request may find the target warm.

The deadline of a request is its latency budget (``x-inferplane-latency-budget-ms``) from
the time it was admitted, else ``max_wait_s``; the core sets it per call with
``set_deadline``. A target that has not come up ``max_wait_s`` after it was found cold is
``down``: its errors then count as failures again.

``/readyz`` reports each target as ``ready``, ``cold`` (scaled to zero or warming:
expected) or ``down`` (failing: breaker open, or cold for longer than ``max_wait_s``);
``readiness`` builds that document.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Literal, Protocol, TypeVar

from router.config import ColdStartConfig
from router.errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)

__all__ = [
    "ColdStart",
    "TargetColdError",
    "TargetState",
    "readiness",
    "set_deadline",
]

TargetState = Literal["ready", "cold", "down"]
T = TypeVar("T")

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "inferplane_deadline", default=None
)


def set_deadline(started: float, budget_ms: int | None) -> None:
    """The current request must have its first byte by ``started + budget`` (monotonic
    seconds, ``time.perf_counter`` clock); None: no budget."""
    _deadline.set(None if budget_ms is None else started + budget_ms / 1000)


class TargetColdError(UpstreamError):
    """The target is scaled to zero or warming and the request cannot wait for it: the next
    target answers, and the breaker does not count it (``breaker_failure`` is False)."""

    retry = False
    breaker_failure = False


class ColdStart:
    """What the router knows about one scale-to-zero target, and how long a request waits.

    ``clock`` is ``time.perf_counter`` (the clock of request deadlines)."""

    def __init__(
        self,
        name: str,
        config: ColdStartConfig,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.name = name
        self.config = config
        self.clock = clock
        self.last_ok: float | None = None
        self.cold_since: float | None = None
        self.waits = 0
        """Tries made while the target was cold (tests and logs)."""
        self._wake: asyncio.Task[None] | None = None

    def state(self) -> TargetState:
        now = self.clock()
        if self.cold_since is not None:
            return "down" if now - self.cold_since > self.config.max_wait_s else "cold"
        if self.last_ok is None or now - self.last_ok > self.config.idle_s:
            return "cold"  # never seen warm, or idle long enough to have scaled to zero
        return "ready"

    def ready_at(self) -> float:
        """When the target is expected to answer."""
        now = self.clock()
        if self.state() == "ready":
            return now
        started = self.cold_since if self.cold_since is not None else now
        return max(started + self.config.warm_s, now)

    def ok(self) -> None:
        self.last_ok = self.clock()
        self.cold_since = None

    def warming(self) -> None:
        if self.cold_since is None:
            self.cold_since = self.clock()

    def deadline(self) -> float:
        given = _deadline.get()
        limit = self.clock() + self.config.max_wait_s
        return limit if given is None else min(given, limit)

    def wake(self, probe: Callable[[], Awaitable[object]]) -> None:
        """Run ``probe()`` in the background (one at a time): a request to the target that
        makes the platform start it; its success marks the target ready."""
        if self._wake is not None and not self._wake.done():
            return

        async def run() -> None:
            try:
                await probe()
            except (UpstreamError, TimeoutError, OSError):
                return  # still warming: the next request or wake-up tries again
            self.ok()

        self._wake = asyncio.get_running_loop().create_task(run())

    async def close(self) -> None:
        if self._wake is not None:
            self._wake.cancel()
            await asyncio.gather(self._wake, return_exceptions=True)

    async def call(
        self, attempt: Callable[[], Awaitable[T]], probe: Callable[[], Awaitable[object]]
    ) -> T:
        """``attempt()`` until it succeeds, within the request's deadline while the target
        is cold. ``probe()`` wakes the target when the request cannot wait for it."""
        deadline = self.deadline()
        while True:
            state = self.state()
            if state == "cold" and self.ready_at() > deadline:
                self.wake(probe)
                raise self._cannot_wait(deadline)
            remaining = deadline - self.clock()
            try:
                if state in {"ready", "down"}:
                    result = await attempt()  # warm, or failing: the usual timeouts apply
                else:
                    self.waits += 1
                    async with asyncio.timeout(max(remaining, 0.001)):
                        result = await attempt()
            except (UpstreamError, TimeoutError) as exc:
                delay = _warming_delay(exc, self.config.poll_s)
                if delay is None or state == "down":
                    raise
                if state == "ready" and not isinstance(exc, UpstreamConnectError):
                    raise  # a busy or slow instance: fall back as usual; no pod: it scaled down
                self.warming()
                if self.state() == "down":
                    raise
                if self.ready_at() > deadline or self.clock() + delay >= deadline:
                    self.wake(probe)
                    raise self._cannot_wait(deadline) from exc
                await asyncio.sleep(delay)
                continue
            self.ok()
            return result

    async def first_block(
        self,
        open_stream: Callable[[], AsyncIterator[bytes]],
        probe: Callable[[], Awaitable[object]],
    ) -> AsyncIterator[bytes]:
        """The stream of the first try whose first block arrives (see ``call``)."""

        async def attempt() -> tuple[bytes, AsyncIterator[bytes]]:
            blocks = open_stream()
            try:
                return await anext(blocks), blocks
            except BaseException:
                await blocks.aclose()  # type: ignore[attr-defined]
                raise

        first, blocks = await self.call(attempt, probe)
        try:
            yield first
            async for block in blocks:
                yield block
        finally:
            await blocks.aclose()  # type: ignore[attr-defined]

    def _cannot_wait(self, deadline: float) -> TargetColdError:
        expected = max(self.ready_at() - self.clock(), 0.0)
        left = max(deadline - self.clock(), 0.0)
        return TargetColdError(
            f"target {self.name!r} is cold (expected up in {expected:.0f} s); "
            f"the request can wait {left:.1f} s",
            target=self.name,
            code="target_cold",
        )


def _warming_delay(exc: BaseException, poll_s: float) -> float | None:
    """How long to pause before the next try when ``exc`` says the target is warming
    (refused connection, 503, no answer in time); None when it is a real failure."""
    if isinstance(exc, UpstreamConnectError | UpstreamTimeoutError | TimeoutError):
        return poll_s
    if isinstance(exc, UpstreamStatusError) and exc.upstream_status in (502, 503, 504):
        after = exc.retry_after
        return min(float(after), 30.0) if after is not None and after > 0 else poll_s
    return None


class _Breaker(Protocol):
    def available(self) -> bool: ...


def readiness(
    breakers: Mapping[str, _Breaker], backends: Mapping[str, object]
) -> tuple[int, dict[str, object], dict[str, object]]:
    """``/readyz``: (HTTP status, the body for anyone, the body for operators). A backend
    with a ``cold`` attribute (``ColdStart``) is a scale-to-zero target.

    ======  ===============  ====================================================
    status  body ``status``  when
    ======  ===============  ====================================================
    200     ``ready``        at least one target is ready
    200     ``cold``         none is ready, at least one is cold (scaled to zero or
                             warming: requests wait for it within their budget)
    503     ``unavailable``  every target is down
    ======  ===============  ====================================================

    Operators also get ``healthy`` (the ready targets) and ``targets`` (each target's
    state: ``ready``, ``cold`` or ``down``)."""
    states: dict[str, TargetState] = {}
    for name, breaker in breakers.items():
        if not breaker.available():
            states[name] = "down"
        elif isinstance(cold := getattr(backends.get(name), "cold", None), ColdStart):
            states[name] = cold.state()
        else:
            states[name] = "ready"
    values = set(states.values())
    status, summary = (
        (200, "ready")
        if "ready" in values
        else (200, "cold")
        if "cold" in values
        else (503, "unavailable")
    )
    healthy = [name for name, state in states.items() if state == "ready"]
    operator: dict[str, object] = {"status": summary, "healthy": healthy, "targets": states}
    return status, {"status": summary}, operator
