"""Who may call the router: the spec's keys, the keys created at run time, and the admin.

``Access.authenticate`` tries the keys of the RouterConfig first (in process, constant
time, memoised: ``router.auth``), then, when the admin API is on, the run-time keys in the
shared state (``router.accounts``): one lookup of the presented key's SHA-256, so a key
revoked on one replica is refused by every other on its next request. An expired key is
refused like an unknown one, naming its expiry. When the shared store does not answer, a
key that is not in the config is refused with a 503 (never let in unchecked).

The admin credential (``admin.api_key``, a secret reference) is read once at start-up and
compared in constant time; without it the admin API is off.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from .accounts import Accounts, MemoryAccounts, RedisAccounts, digest
from .auth import KeyRing, presented_key
from .backends import BackendContext
from .budgets import Budgets
from .config import KeyConfig, RouterConfig
from .errors import AuthenticationError, PermissionDeniedError, RouterError, StateUnavailableError
from .redisconn import connect

__all__ = ["Access", "KeyStoreUnavailableError"]


class KeyStoreUnavailableError(RouterError):
    """A run-time key could not be checked: the shared store did not answer."""

    status = 503
    type = "service_unavailable"
    code = "key_store_unavailable"
    retry_after = 1


class Access:
    """API keys (config and run time), their budgets, and the admin credential."""

    def __init__(
        self,
        config: RouterConfig,
        context: BackendContext,
        *,
        accounts: Accounts | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = KeyRing(config.keys)
        self.accounts = accounts if accounts is not None else _accounts(config, context)
        self.budgets = Budgets(self.accounts, clock)
        self.clock = clock
        secret = config.admin.api_key
        self._admin = _sha256(context.resolve_secret(secret)) if secret is not None else None

    @property
    def admin_enabled(self) -> bool:
        return self._admin is not None

    async def authenticate(self, authorization: str | None, api_key: str | None) -> KeyConfig:
        """The key a request presents (``Authorization: Bearer``, ``api-key``)."""
        try:
            key = self.keys.authenticate(authorization, api_key)
        except AuthenticationError:
            if self._admin is None:
                raise
            key = await self._runtime(presented_key(authorization, api_key))
        if key.expires_at is not None and key.expires_at <= self.clock():
            raise AuthenticationError(f"API key {key.id!r} expired at {key.expires_at} (unix)")
        return key

    async def _runtime(self, presented: str | None) -> KeyConfig:
        if not presented or not presented.isascii():
            raise AuthenticationError("invalid API key")
        try:
            found = await self.accounts.find(digest(presented))
        except StateUnavailableError as exc:
            raise KeyStoreUnavailableError(
                "the key store (state.url) is unreachable: this key cannot be checked now"
            ) from exc
        if found is None:
            raise AuthenticationError("invalid API key")
        return found

    def check_admin(self, authorization: str | None) -> None:
        """Raise unless ``authorization`` carries the admin credential."""
        if self._admin is None:
            raise PermissionDeniedError(
                "the admin API is off: set admin.api_key (a secret reference) in the router config",
                code="admin_api_off",
            )
        presented = presented_key(authorization)
        if not presented or not hmac.compare_digest(_sha256(presented), self._admin):
            raise AuthenticationError(
                "the admin API needs the admin credential: send 'Authorization: Bearer <key>'",
                code="invalid_admin_key",
            )

    async def close(self) -> None:
        await self.budgets.drain()
        await self.accounts.close()


def _sha256(secret: str) -> bytes:
    # Digests have one length, so the comparison's time says nothing about the secret's;
    # surrogatepass keeps a header's undecodable bytes instead of failing on them.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def _accounts(config: RouterConfig, context: BackendContext) -> Accounts:
    state = config.state
    if state.backend == "redis":
        return RedisAccounts(connect(state, context.resolve_secret), f"inferplane:{config.stack}")
    return MemoryAccounts()
