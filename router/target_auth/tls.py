"""``auth.ca``: verify a target's TLS certificate against its own CA (edge sites)."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from ..config import SecretRef
from ..errors import ConfigError

__all__ = ["ca_context"]


def ca_context(name: str, ca: SecretRef, resolve: Callable[[SecretRef], str]) -> ssl.SSLContext:
    pem = resolve(ca)
    try:
        # Only this CA: a public CA must not vouch for a site's private name.
        return ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"target {name!r}: auth.ca ({ca.store}:{ca.name}) is not a PEM CA bundle: {exc}"
        ) from exc
