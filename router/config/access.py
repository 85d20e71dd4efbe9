"""Who may call the router: API keys (tenants) and operator access."""

from __future__ import annotations

from pydantic import Field

from .base import Model, SecretRef

__all__ = ["ANONYMOUS_TENANT", "AdminConfig", "KeyConfig"]

ANONYMOUS_TENANT = "anonymous"
"""The one tenant of a router without API keys (``auth_required: false``)."""


class KeyConfig(Model):
    """An API key, stored as ``sha256(salt + key)`` hex; compared in constant time."""

    id: str
    salt: str
    sha256: str
    data_classes: tuple[str, ...] = ()
    """Data classes this key may send; its requests default to the first one. A request
    may always raise its class (header ``x-inferplane-data-class``), and lower it only to
    a class listed here."""
    routes: tuple[str, ...] = ()
    """Route names this key may use; empty means all. A request that names a target as
    its ``model`` reaches it only if the target is on one of these routes."""
    rate_limit_rpm: int | None = None
    team: str | None = None
    """The tenant this key belongs to: keys of one team share cached answers; keys without
    a team are each their own tenant. Nothing cached is ever shared across tenants."""
    budget_usd: float | None = Field(default=None, gt=0)
    """Spend allowed per calendar month (UTC), priced from the targets' token prices
    (``router.budgets``); None: no budget of its own (its team's may still apply)."""
    expires_at: int | None = Field(default=None, ge=0)
    """Unix time after which the key is refused; None: it does not expire."""

    @property
    def tenant(self) -> str:
        """Scopes caches and cache headers; prefixed so a team and a key id never collide."""
        return f"team:{self.team}" if self.team is not None else f"key:{self.id}"


class AdminConfig(Model):
    """Operator access to ``/metrics`` and to the target list of ``/readyz``: closed unless
    one of the two is configured. API keys never grant it (a tenant must not see other
    tenants' targets, traffic or cost)."""

    keys: tuple[KeyConfig, ...] = ()
    """Operator credentials (``Authorization: Bearer``), hashed like API keys; they do not
    authenticate chat requests."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """A separate listener that serves ``/metrics``, ``/readyz`` and ``/healthz`` without a
    credential (for a scraper in the pod or host network): never expose it publicly."""
    host: str = "127.0.0.1"
    """Address of the ``port`` listener."""
    api_key: SecretRef | None = None
    """The admin API's credential (``/admin/*``: keys, budgets, spend), compared in
    constant time with ``Authorization: Bearer``. None: the admin API is off."""
