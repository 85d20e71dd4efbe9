"""The one-method credentials interface every target auth scheme implements.

Shaped like httpx's ``Auth``: a scheme decorates an outgoing request (headers, a
signature) and nothing else. Token schemes keep their token in a ``TokenCache`` that mints
it at start-up and refreshes it in the background, so ``authorize`` only reads memory.
"""

from __future__ import annotations

import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from ..errors import UpstreamError

__all__ = ["CredentialsUnavailableError", "OutgoingRequest", "TargetCredentials"]


@dataclass(slots=True)
class OutgoingRequest:
    """The parts of one upstream request a scheme may read or decorate."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class CredentialsUnavailableError(UpstreamError):
    """The router holds no valid credential for a target (minting failed, the token
    expired): the target is skipped like an unreachable one and another may serve."""

    status = 503
    code = "upstream_credentials_unavailable"
    retry = False


class TargetCredentials(ABC):
    """How the router proves who it is to one target. ``scheme`` is the config name."""

    scheme: ClassVar[str]
    ssl: ssl.SSLContext | None = None
    """TLS context of the target's own CA (``auth.ca``), or None for the system store."""
    adds_nothing: ClassVar[bool] = False
    """True when ``authorize`` never changes a request (``none``): callers skip it."""

    @abstractmethod
    async def authorize(self, request: OutgoingRequest) -> None:
        """Add this scheme's headers (or signature) to ``request``."""

    async def start(self) -> None:
        """Mint credentials before the first request and start refreshing them."""
        return

    async def close(self) -> None:
        return None
