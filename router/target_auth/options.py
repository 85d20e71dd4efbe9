"""What every scheme is built with besides its target's config."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import SecretRef
from ..credentials import resolve_secret

__all__ = ["CredentialOptions"]


@dataclass(frozen=True, slots=True)
class CredentialOptions:
    resolve_secret: Callable[[SecretRef], str] = resolve_secret
    clock: Callable[[], float] = field(default=time.time)
    """Wall clock the caches compare expiry against (injected by tests)."""
    poll_s: float = 30.0
    """Longest sleep of a refresh loop before it looks at the clock again."""
    key_header: str | None = None
    """The backend's native API-key header (Anthropic ``x-api-key``, Azure ``api-key``),
    used when ``auth.header`` is left at ``authorization``."""
