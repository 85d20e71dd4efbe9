"""Where the semantic cache's entries live, so that every replica finds them.

Per partition (a digest of tenant, data class, route, conversation and embedder) there is
an append-only log of ``(vector, answer reference)`` and one answer per reference:

    Redis   {prefix}:sem:{partition}:v          stream; fields v (float32 bytes), r (ref);
                                                trimmed to about max_entries, expires
                                                ttl_s after its last entry
            {prefix}:sem:{partition}:a:{ref}    the cached answer, expires after ttl_s

Each replica keeps a copy of the partitions it serves (``index.VectorIndex``) and reads
only the log entries after the last one it has (one XRANGE per lookup, usually empty), so
a lookup never moves the vectors again. ``MemoryLog`` is the same log in process, for a
router whose state is in process (one replica). Failures of Redis are raised as
``StateUnavailableError``; the cache then skips itself for the request.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import StateUnavailableError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["LogEntry", "MemoryLog", "RedisLog", "VectorLog", "new_ref"]

START = "0-0"
"""The position before the first entry of any log."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: str
    """Position in the log (``<ms>-<seq>``, increasing)."""
    vector: bytes
    """float32, native byte order (the same in every replica of one build)."""
    ref: str
    created: float
    """Epoch seconds (the log's clock)."""


class VectorLog(Protocol):
    async def read(self, partition: str, after: str, count: int) -> list[LogEntry]:
        """Up to ``count`` entries after position ``after``, oldest first."""
        ...

    async def add(
        self, partition: str, vector: bytes, answer: bytes, ttl_s: int, max_entries: int
    ) -> None: ...

    async def answer(self, partition: str, ref: str) -> bytes | None: ...

    async def close(self) -> None: ...


def new_ref() -> str:
    return secrets.token_hex(8)


def _position(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class MemoryLog:
    """The log in process: at most ``max_entries`` per partition and ``total`` in all
    (least recently written partitions dropped first). Positions are one counter for all
    partitions, so a read finds its start by bisection."""

    def __init__(self, total: int, clock: Callable[[], float] = time.time) -> None:
        self._total = total
        self._clock = clock
        self._logs: OrderedDict[str, list[LogEntry]] = OrderedDict()
        self._seqs: dict[str, list[int]] = {}
        self._answers: dict[tuple[str, str], tuple[float, bytes]] = {}
        self._seq = 0
        self._entries = 0

    async def read(self, partition: str, after: str, count: int) -> list[LogEntry]:
        start = bisect_right(self._seqs.get(partition, []), _position(after)[1])
        return self._logs.get(partition, [])[start : start + count]

    async def add(
        self, partition: str, vector: bytes, answer: bytes, ttl_s: int, max_entries: int
    ) -> None:
        now = self._clock()
        self._seq += 1
        ref = new_ref()
        log = self._logs.setdefault(partition, [])
        seqs = self._seqs.setdefault(partition, [])
        self._logs.move_to_end(partition)
        log.append(LogEntry(f"{int(now * 1000)}-{self._seq}", vector, ref, now))
        seqs.append(self._seq)
        self._answers[(partition, ref)] = (now + ttl_s, answer)
        self._entries += 1
        if len(log) > max_entries:
            self._drop(partition, len(log) - max_entries)
        while self._entries > self._total and len(self._logs) > 1:
            oldest = next(iter(self._logs))
            self._drop(oldest, len(self._logs[oldest]))

    def _drop(self, partition: str, oldest: int) -> None:
        """Drop the ``oldest`` entries of ``partition`` (the partition when all go)."""
        log = self._logs[partition]
        for entry in log[:oldest]:
            self._answers.pop((partition, entry.ref), None)
        del log[:oldest]
        del self._seqs[partition][:oldest]
        self._entries -= oldest
        if not log:
            del self._logs[partition], self._seqs[partition]

    async def answer(self, partition: str, ref: str) -> bytes | None:
        found = self._answers.get((partition, ref))
        if found is None or found[0] <= self._clock():
            return None
        return found[1]

    async def close(self) -> None:
        self._logs.clear()
        self._seqs.clear()
        self._answers.clear()


class RedisLog:
    """The log in Redis (``redis.asyncio``), keys prefixed with the stack's prefix."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        import redis.exceptions

        self._redis = client
        self._prefix = f"{prefix}:sem"
        self._failures = (redis.exceptions.RedisError, OSError, TimeoutError)

    @classmethod
    def from_url(cls, url: str, prefix: str, timeout_s: float) -> RedisLog:
        from ..redisconn import from_url

        return cls(from_url(url, timeout_s), prefix)

    async def read(self, partition: str, after: str, count: int) -> list[LogEntry]:
        try:
            # Inclusive start, the entry at ``after`` dropped below: exclusive ranges
            # ("(id") need Redis 6.2, Azure Cache for Redis still offers 6.0.
            rows = await self._redis.xrange(
                f"{self._prefix}:{partition}:v", min=after, max="+", count=count + 1
            )
        except self._failures as exc:
            raise _unavailable(exc) from exc
        entries: list[LogEntry] = []
        for raw_id, fields in rows or ():
            if not isinstance(raw_id, bytes) or fields is None:
                continue
            entry_id = raw_id.decode()
            if entry_id == after:
                continue
            vector, ref = fields.get(b"v"), fields.get(b"r")
            if isinstance(vector, bytes) and isinstance(ref, bytes):
                created = _position(entry_id)[0] / 1000
                entries.append(LogEntry(entry_id, vector, ref.decode(), created))
        return entries[:count]

    async def add(
        self, partition: str, vector: bytes, answer: bytes, ttl_s: int, max_entries: int
    ) -> None:
        ref = new_ref()
        log = f"{self._prefix}:{partition}:v"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"{self._prefix}:{partition}:a:{ref}", answer, ex=ttl_s)
                pipe.xadd(log, {"v": vector, "r": ref}, maxlen=max_entries, approximate=True)
                pipe.expire(log, ttl_s)
                await pipe.execute()
        except self._failures as exc:
            raise _unavailable(exc) from exc

    async def answer(self, partition: str, ref: str) -> bytes | None:
        try:
            value = await self._redis.get(f"{self._prefix}:{partition}:a:{ref}")
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return value if isinstance(value, bytes) else None

    async def close(self) -> None:
        with contextlib.suppress(*self._failures):
            await self._redis.aclose()


def _unavailable(exc: BaseException) -> StateUnavailableError:
    return StateUnavailableError(f"redis (semantic cache): {type(exc).__name__}: {exc}")
