"""API keys: stored as ``sha256(salt + key)`` hex, compared in constant time.

Each key has its own salt, so a presented key is hashed once per configured key. The
result of a lookup is memoised under a blake2b digest of the presented key (never the key
itself), bounded, so the steady state costs one blake2b and a dict lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .config import KeyConfig
from .errors import AuthenticationError

__all__ = ["KeyRing", "hash_key", "new_key", "presented_key"]

_MEMO_SIZE = 4096


def hash_key(key: str, salt: str) -> str:
    return hashlib.sha256((salt + key).encode()).hexdigest()


def new_key(key_id: str, **binding: object) -> tuple[str, KeyConfig]:
    """A fresh random key and its config entry (for operators and tests)."""
    plaintext = "ip-" + secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    config = KeyConfig.model_validate(
        {"id": key_id, "salt": salt, "sha256": hash_key(plaintext, salt), **binding}
    )
    return plaintext, config


class KeyRing:
    def __init__(self, keys: tuple[KeyConfig, ...]) -> None:
        self._keys = keys
        self._memo: dict[bytes, KeyConfig | None] = {}

    def authenticate(self, authorization: str | None, api_key: str | None = None) -> KeyConfig:
        """The key presented as ``Authorization: Bearer <key>`` (or ``api-key``)."""
        presented = presented_key(authorization, api_key)
        if not presented:
            raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
        if not presented.isascii():
            # Keys are ASCII; a header with other bytes (decoded with surrogate escapes by
            # the HTTP server) is simply a wrong key, not a reason to fail.
            raise AuthenticationError("invalid API key")
        digest = hashlib.blake2b(presented.encode(), digest_size=20).digest()
        if digest in self._memo:
            found = self._memo[digest]
        else:
            found = self._find(presented)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[digest] = found
        if found is None:
            raise AuthenticationError("invalid API key")
        return found

    def _find(self, presented: str) -> KeyConfig | None:
        found = None
        for key in self._keys:
            # No early exit: the time taken does not depend on which key matched.
            if hmac.compare_digest(hash_key(presented, key.salt), key.sha256):
                found = key
        return found


def presented_key(authorization: str | None, api_key: str | None = None) -> str | None:
    """The key a request presents: ``Authorization: Bearer <key>``, else ``api_key``."""
    return _bearer(authorization) or api_key


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
