"""One Redis client from ``state`` (``state.url``, ``state.ca``, ``state.timeout_s``), for
every part of the router that keeps shared state there (``router.state``,
``router.accounts``).

No client-side retries: a store that does not answer at once is treated as down by its
caller, which decides when to try again. ``state.ca`` is the PEM CA of a store whose TLS
certificate is signed by its own authority (Memorystore's ``SERVER_AUTHENTICATION``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .config import SecretRef, StateConfig
from .errors import ConfigError

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["connect", "from_url"]


def connect(state: StateConfig, resolve: Callable[[SecretRef], str]) -> redis.asyncio.Redis:
    """The client of ``state`` (backend ``redis``), its secrets read with ``resolve``."""
    if state.url is None:
        raise ConfigError("state.backend is 'redis' but state.url is not set")
    ca = resolve(state.ca) if state.ca is not None else None
    return from_url(resolve(state.url), state.timeout_s, ca)


def from_url(url: str, timeout_s: float, ca: str | None = None) -> redis.asyncio.Redis:
    import redis.asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    if ca is not None and not url.startswith("rediss://"):
        raise ConfigError("state.ca is set but state.url is not a rediss:// (TLS) URL")
    options: dict[str, Any] = {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": Retry(NoBackoff(), 0),
    }
    if ca is not None:  # a TLS-only option: plain connections refuse it
        options["ssl_ca_data"] = ca
    return redis.asyncio.Redis.from_url(url, **options)
