"""A cached credential with a lifetime: minted at start-up, refreshed in the background.

The request path only reads memory (``current``). The exceptions: the first call after a
failed warm-up, and a token that expired while no refresh could run (a frozen Lambda
environment), mint inline once. A failed refresh keeps the old token
until it expires (logged once, not per attempt); an expired token raises
``CredentialsUnavailableError`` so the core fails over as for any unreachable target.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .base import CredentialsUnavailableError, OutgoingRequest, TargetCredentials

__all__ = ["REFRESH_AT", "CachedBearer", "Token", "TokenCache"]

logger = logging.getLogger("router.credentials")

T = TypeVar("T")

REFRESH_AT = 0.8
"""Refresh when this share of a token's lifetime has passed (SDKs use 5 min before expiry
for 1 h tokens; 80 % leaves ~12 min to retry and also works for short-lived tokens)."""
RETRY_MAX_S = 30.0
MIN_REFRESH_S = 1.0
"""At most one mint per second, whatever lifetime an issuer states."""


@dataclass(frozen=True, slots=True)
class Token(Generic[T]):
    value: T
    expires_at: float
    """Wall-clock seconds (epoch) after which the issuer rejects it."""
    issued_at: float

    def refresh_at(self) -> float:
        return self.issued_at + REFRESH_AT * (self.expires_at - self.issued_at)


class TokenCache(Generic[T]):
    """One credential of one target. ``mint`` blocks (stdlib HTTP, botocore) and runs in a
    worker thread; ``clock`` is wall time (issuers state absolute expiry)."""

    def __init__(
        self,
        mint: Callable[[], Token[T]],
        *,
        what: str,
        clock: Callable[[], float] = time.time,
        poll_s: float = 30.0,
    ) -> None:
        self._mint = mint
        self.what = what
        self._clock = clock
        self._poll_s = poll_s
        self._token: Token[T] | None = None
        self._next_at = 0.0
        self._failing = False
        self._inline_tried = False
        self._task: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self.mints = 0
        """Successful mints so far (tests and metrics read it)."""

    @property
    def token(self) -> Token[T] | None:
        return self._token

    async def start(self) -> None:
        """Warm up (a failure is logged, not raised: the router starts and fails over)."""
        if self._token is None:
            await self._refresh()
        self._ensure_loop()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def current(self) -> T:
        """The valid token, from memory."""
        self._ensure_loop()
        if self._mint_inline():
            await self._refresh()
        return self._valid()

    def current_blocking(self) -> T:
        """``current`` for code already in a worker thread (botocore's signer)."""
        if self._mint_inline():
            self._refresh_blocking()
        return self._valid()

    def _mint_inline(self) -> bool:
        """Whether this call must mint: the first call after a failed warm-up, or a token
        that expired while no refresh ran at all (a Lambda environment frozen between
        invocations runs no background task). An expiry after failed refreshes is not
        retried here: the target fails over instead of stalling requests on the issuer."""
        if self._token is None:
            first, self._inline_tried = not self._inline_tried, True
            return first
        return not self._failing and self._clock() >= self._token.expires_at

    def _valid(self) -> T:
        token = self._token
        if token is None:
            raise CredentialsUnavailableError(f"{self.what}: no credential could be minted")
        if self._clock() >= token.expires_at:
            raise CredentialsUnavailableError(f"{self.what}: credential expired, refresh failed")
        return token.value

    def _ensure_loop(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def _refresh_loop(self) -> None:
        # Sleeps in short steps against ``clock`` so that a clock jump (suspend, or a
        # test's injected clock) is noticed within ``poll_s``.
        while True:
            wait = self._next_at - self._clock()
            if wait <= 0:
                await self._refresh()
                continue
            await asyncio.sleep(min(wait, self._poll_s))

    async def _refresh(self) -> None:
        await asyncio.to_thread(self._refresh_blocking)

    def _refresh_blocking(self) -> None:
        with self._lock:
            now = self._clock()
            if self._token is not None and now < self._token.refresh_at() and now < self._next_at:
                return  # another caller refreshed it meanwhile
            try:
                token = self._mint()
            except Exception as exc:  # any issuer failure: keep the old token
                self._failed(exc, now)
                return
            self._token = token
            self._next_at = max(token.refresh_at(), now + MIN_REFRESH_S)
            self.mints += 1
            if self._failing:
                logger.warning("%s: credential refreshed again", self.what)
            self._failing = False

    def _failed(self, exc: Exception, now: float) -> None:
        left = (self._token.expires_at - now) if self._token is not None else 0.0
        self._next_at = now + min(RETRY_MAX_S, max(1.0, left / 4))
        if not self._failing:
            keeps = "keeping the current one until it expires" if left > 0 else "none held"
            logger.warning("%s: refreshing the credential failed (%s); %s", self.what, exc, keeps)
        self._failing = True


class CachedBearer(TargetCredentials):
    """A scheme that sends ``Authorization: Bearer <token>`` from a ``TokenCache``."""

    cache: TokenCache[str]

    async def authorize(self, request: OutgoingRequest) -> None:
        request.headers["authorization"] = "Bearer " + await self.cache.current()

    async def start(self) -> None:
        await self.cache.start()

    async def close(self) -> None:
        await self.cache.close()
