"""Run-time API keys, team budgets and spend, in the shared state (``router.admin``).

A key created through the admin API is stored only as the SHA-256 of the key (hex): the
key is 256 random bits, so an unsalted digest is as good as a salted one and lets any
replica find the record with one lookup. The key itself is shown once, at creation.

``MemoryAccounts`` keeps everything in process (one replica). ``RedisAccounts`` keeps it
in the Redis of ``state.url``, under the stack's prefix, so every replica sees a key the
moment it is created and refuses it the moment it is revoked (each authentication reads
Redis; nothing is cached per replica)::

    {prefix}:keys:digest   hash  sha256 hex -> record JSON
    {prefix}:keys:id       hash  key id -> sha256 hex
    {prefix}:budgets:team  hash  team -> monthly budget (USD)
    {prefix}:spend:{period}:{scope}   float (INCRBYFLOAT), expires after the period
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import TYPE_CHECKING, Protocol

from .config import KeyConfig
from .errors import StateUnavailableError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["Accounts", "MemoryAccounts", "RedisAccounts", "digest"]

_SPEND_TTL_S = 40 * 86_400
"""A monthly spend counter outlives its month by a few days (admin reads of last month)."""


def digest(key: str) -> str:
    """How a run-time key is stored and looked up: SHA-256 hex of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


class Accounts(Protocol):
    """Where run-time keys, team budgets and spend live."""

    async def add(self, key: KeyConfig) -> bool:
        """Store ``key`` (``sha256`` is its digest); False if its id is taken."""
        ...

    async def find(self, sha256: str) -> KeyConfig | None: ...

    async def all(self) -> list[KeyConfig]: ...

    async def revoke(self, key_id: str) -> bool:
        """Delete the key; False if there was none with this id."""
        ...

    async def set_team_budget(self, team: str, usd: float | None) -> None: ...

    async def team_budget(self, team: str) -> float | None: ...

    async def team_budgets(self) -> dict[str, float]: ...

    async def spend(self, period: str, scopes: list[str]) -> list[float]: ...

    async def charge(self, period: str, scopes: list[str], usd: float) -> None: ...

    async def close(self) -> None: ...


class MemoryAccounts:
    """In-process accounts (a single replica)."""

    def __init__(self) -> None:
        self._by_digest: dict[str, KeyConfig] = {}
        self._ids: dict[str, str] = {}
        self._budgets: dict[str, float] = {}
        self._spend: dict[tuple[str, str], float] = {}

    async def add(self, key: KeyConfig) -> bool:
        if key.id in self._ids:
            return False
        self._ids[key.id] = key.sha256
        self._by_digest[key.sha256] = key
        return True

    async def find(self, sha256: str) -> KeyConfig | None:
        return self._by_digest.get(sha256)

    async def all(self) -> list[KeyConfig]:
        return sorted(self._by_digest.values(), key=lambda k: k.id)

    async def revoke(self, key_id: str) -> bool:
        found = self._ids.pop(key_id, None)
        if found is None:
            return False
        self._by_digest.pop(found, None)
        return True

    async def set_team_budget(self, team: str, usd: float | None) -> None:
        if usd is None:
            self._budgets.pop(team, None)
        else:
            self._budgets[team] = usd

    async def team_budget(self, team: str) -> float | None:
        return self._budgets.get(team)

    async def team_budgets(self) -> dict[str, float]:
        return dict(sorted(self._budgets.items()))

    async def spend(self, period: str, scopes: list[str]) -> list[float]:
        return [self._spend.get((period, scope), 0.0) for scope in scopes]

    async def charge(self, period: str, scopes: list[str], usd: float) -> None:
        for scope in scopes:
            self._spend[(period, scope)] = self._spend.get((period, scope), 0.0) + usd

    async def close(self) -> None:
        return None


class RedisAccounts:
    """Accounts in Redis, shared by every replica; every failure is raised as
    StateUnavailableError (the caller decides: authentication fails closed)."""

    def __init__(self, client: redis.asyncio.Redis, prefix: str) -> None:
        import redis.exceptions

        self._redis = client
        self._digests = f"{prefix}:keys:digest"
        self._ids = f"{prefix}:keys:id"
        self._budgets = f"{prefix}:budgets:team"
        self._spend = f"{prefix}:spend"
        self._failures = (redis.exceptions.RedisError, OSError, TimeoutError)

    async def add(self, key: KeyConfig) -> bool:
        try:
            if not await self._redis.hsetnx(self._ids, key.id, key.sha256):
                return False
            await self._redis.hset(self._digests, key.sha256, key.model_dump_json())
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return True

    async def find(self, sha256: str) -> KeyConfig | None:
        try:
            raw = await self._redis.hget(self._digests, sha256)
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return KeyConfig.model_validate_json(raw) if raw else None

    async def all(self) -> list[KeyConfig]:
        try:
            raws = await self._redis.hvals(self._digests)
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return sorted((KeyConfig.model_validate_json(r) for r in raws), key=lambda k: k.id)

    async def revoke(self, key_id: str) -> bool:
        try:
            found = await self._redis.hget(self._ids, key_id)
            if found is None:
                return False
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(self._digests, found)
                pipe.hdel(self._ids, key_id)
                await pipe.execute()
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return True

    async def set_team_budget(self, team: str, usd: float | None) -> None:
        try:
            if usd is None:
                await self._redis.hdel(self._budgets, team)
            else:
                await self._redis.hset(self._budgets, team, repr(usd))
        except self._failures as exc:
            raise _unavailable(exc) from exc

    async def team_budget(self, team: str) -> float | None:
        try:
            raw = await self._redis.hget(self._budgets, team)
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return float(raw) if raw is not None else None

    async def team_budgets(self) -> dict[str, float]:
        try:
            raw = await self._redis.hgetall(self._budgets)
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return {_text(k): float(v) for k, v in sorted(raw.items())}

    async def spend(self, period: str, scopes: list[str]) -> list[float]:
        names = [f"{self._spend}:{period}:{scope}" for scope in scopes]
        try:
            values = await self._redis.mget(names)
        except self._failures as exc:
            raise _unavailable(exc) from exc
        return [float(v) if v is not None else 0.0 for v in values]

    async def charge(self, period: str, scopes: list[str], usd: float) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for scope in scopes:
                    name = f"{self._spend}:{period}:{scope}"
                    pipe.incrbyfloat(name, usd)
                    pipe.expire(name, _SPEND_TTL_S)
                await pipe.execute()
        except self._failures as exc:
            raise _unavailable(exc) from exc

    async def close(self) -> None:
        with contextlib.suppress(*self._failures):
            await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _unavailable(exc: BaseException) -> StateUnavailableError:
    return StateUnavailableError(f"redis: {type(exc).__name__}: {exc}")
