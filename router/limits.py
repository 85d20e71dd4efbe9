"""Rate limits: per API key, or per client address and in total when auth is off.

Windows are counted in the state store (shared by replicas through Redis). When the store
is unreachable the count moves in process, at ``state.degraded_share`` of each limit per
replica (rounded up): a limit stays a limit while Redis is down, never a 500 and never
unlimited.
"""

from __future__ import annotations

import math
import time

from .config import KeyConfig, RouterConfig
from .errors import RateLimitError, StateUnavailableError
from .state import MemoryStore, StateStore

__all__ = ["RateLimiter"]

_WINDOW_S = 60


class RateLimiter:
    """The limits of one RouterConfig, counted in ``store``."""

    def __init__(self, config: RouterConfig, store: StateStore) -> None:
        self._store = store
        self._local = MemoryStore(max_entries=0)  # windows only: no cache entries here
        self._share = config.state.degraded_share
        self._per_client = config.limits.anonymous_rpm_per_client
        self._anonymous = config.limits.anonymous_rpm

    async def check(self, key: KeyConfig | None, client: str) -> None:
        """Raise RateLimitError when this request is over a limit that applies to it."""
        if key is not None:
            if key.rate_limit_rpm is not None:
                await self._count(
                    f"{key.tenant}:key:{key.id}",
                    key.rate_limit_rpm,
                    f"API key {key.id!r}",
                )
            return
        # Per client first: a client over its own limit does not spend the shared one.
        if self._per_client is not None:
            await self._count(
                f"anonymous:client:{client}", self._per_client, f"client {client or '-'}"
            )
        if self._anonymous is not None:
            await self._count("anonymous:all", self._anonymous, "this router (no API keys)")

    async def _count(self, name: str, rpm: int, who: str) -> None:
        try:
            over = await self._store.hit(name, _WINDOW_S) > rpm
        except StateUnavailableError:
            rpm = math.ceil(rpm * self._share)
            over = await self._local.hit(name, _WINDOW_S) > rpm
        if over:
            refusal = RateLimitError(f"{who} exceeded {rpm} requests/min")
            # Windows are fixed minutes: the next one starts at the top of the minute.
            refusal.retry_after = max(1, math.ceil(_WINDOW_S - time.time() % _WINDOW_S))
            raise refusal
