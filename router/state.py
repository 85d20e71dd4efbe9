"""Shared state: rate-limit windows and the exact cache.

``MemoryStore`` keeps both in process (one replica). ``RedisStore`` keeps them in Redis
so that several replicas (Lambda, Cloud Run, HPA) share one limit and one cache; entries
expire by TTL there, and Redis' own ``maxmemory`` policy bounds its size. The router wraps
a RedisStore in ``FailSafeStore``: losing Redis skips the caches and moves rate limits in
process (``router.limits``), it never fails a request.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .errors import StateUnavailableError
from .redisconn import from_url

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["FailSafeStore", "MemoryStore", "RedisStore", "StateStore"]

logger = logging.getLogger("inferplane.router")

_MAX_WINDOWS = 100_000


class StateStore(Protocol):
    async def hit(self, key: str, window_s: int) -> int:
        """Count one event in the current fixed window of ``key``; return the count."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: int) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """In-process state; cache entries bounded by ``max_entries`` (least recently used
    evicted first) and by TTL."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._max = max_entries
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def hit(self, key: str, window_s: int) -> int:
        window = int(self._clock() // window_s)
        entry = self._windows.get(key)
        if entry is not None and entry[0] == window:
            count = entry[1] + 1
        else:
            count = 1
            if entry is None and len(self._windows) >= _MAX_WINDOWS:
                self._prune(window)
        self._windows[key] = (window, count)
        return count

    def _prune(self, window: int) -> None:
        """Bound the windows (one per key or client address): drop past windows first."""
        self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        if len(self._windows) >= _MAX_WINDOWS:
            self._windows.clear()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    async def close(self) -> None:
        self._entries.clear()


class RedisStore:
    """State in Redis (``redis.asyncio``); keys are prefixed with the stack name. Every
    failure (refused, reset, timed out, Redis error) is raised as StateUnavailableError."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        import redis.exceptions

        self._redis = client
        self._prefix = prefix
        self._failures = (redis.exceptions.RedisError, OSError, TimeoutError)

    @classmethod
    def from_url(cls, url: str, prefix: str, timeout_s: float = 0.25) -> RedisStore:
        # No client-side retries: a store that does not answer at once is treated as down
        # by FailSafeStore, which decides when to try again.
        return cls(from_url(url, timeout_s), prefix)

    async def hit(self, key: str, window_s: int) -> int:
        window = int(time.time() // window_s)
        name = f"{self._prefix}:rl:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s * 2)
                count, _ = await pipe.execute()
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return int(count)

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._redis.get(f"{self._prefix}:c:{key}")
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        try:
            await self._redis.set(f"{self._prefix}:c:{key}", value, ex=ttl_s)
        except self._failures as exc:
            raise _unavailable(exc) from exc

    async def close(self) -> None:
        with contextlib.suppress(*self._failures):
            await self._redis.aclose()


def _unavailable(exc: BaseException) -> StateUnavailableError:
    return StateUnavailableError(f"redis: {type(exc).__name__}: {exc}")


class FailSafeStore:
    """A shared store that may go away: while it is down, ``get`` misses, ``set`` is
    skipped and ``hit`` raises StateUnavailableError at once (the rate limiter then counts
    in process). One request probes it again every ``retry_s``. The outage is logged once
    when it starts and once when it ends, never per request."""

    def __init__(
        self,
        store: StateStore,
        retry_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._retry_s = retry_s
        self._clock = clock
        self._down_since: float | None = None
        self._next_try = 0.0

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    async def hit(self, key: str, window_s: int) -> int:
        self._check()
        try:
            count = await self._store.hit(key, window_s)
        except StateUnavailableError as exc:
            raise self._failed(exc) from None
        self._answered()
        return count

    async def get(self, key: str) -> bytes | None:
        try:
            self._check()
            value = await self._store.get(key)
        except StateUnavailableError as exc:
            self._failed(exc)
            return None
        self._answered()
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        try:
            self._check()
            await self._store.set(key, value, ttl_s)
        except StateUnavailableError as exc:
            self._failed(exc)
            return
        self._answered()

    async def close(self) -> None:
        await self._store.close()

    def _check(self) -> None:
        if self._down_since is None:
            return
        now = self._clock()
        if now < self._next_try:
            raise StateUnavailableError("state store down; next try in a moment")
        self._next_try = now + self._retry_s  # this request is the probe; others skip

    def _failed(self, exc: StateUnavailableError) -> StateUnavailableError:
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            self._next_try = now + self._retry_s
            logger.warning(
                "state store unreachable (%s): caches skipped and rate limits counted in "
                "process until it answers; next try in %.1f s",
                exc.message,
                self._retry_s,
            )
        return exc

    def _answered(self) -> None:
        if self._down_since is not None:
            logger.warning(
                "state store reachable again after %.1f s: caches and shared rate limits on",
                self._clock() - self._down_since,
            )
            self._down_since = None
