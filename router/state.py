"""Shared state: rate-limit windows and the exact cache.

``MemoryStore`` keeps both in process (one replica). ``RedisStore`` keeps them in Redis
so that several replicas (Lambda, Cloud Run, HPA) share one limit and one cache; entries
expire by TTL there, and Redis' own ``maxmemory`` policy bounds its size.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["MemoryStore", "RedisStore", "StateStore"]


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
        current, count = self._windows.get(key, (window, 0))
        count = count + 1 if current == window else 1
        self._windows[key] = (window, count)
        return count

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
    """State in Redis (``redis.asyncio``); keys are prefixed with the stack name."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisStore:
        import redis.asyncio

        return cls(redis.asyncio.Redis.from_url(url), prefix)

    async def hit(self, key: str, window_s: int) -> int:
        window = int(time.time() // window_s)
        name = f"{self._prefix}:rl:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_s * 2)
            count, _ = await pipe.execute()
        return int(count)

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(f"{self._prefix}:c:{key}")
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        await self._redis.set(f"{self._prefix}:c:{key}", value, ex=ttl_s)

    async def close(self) -> None:
        await self._redis.aclose()
