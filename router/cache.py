"""Response caches: exact (canonical JSON + blake2b, in the state store) and semantic.

Both are namespaced by tenant, data class and route (``namespace``): an answer computed
for one tenant (an API key, or its team) is never served to another, and neither is one
computed for another data class. The semantic cache compares the last user turn only, in
a namespace that also holds the request parameters and a digest of everything before that
turn (system prompt, earlier turns): a long shared system prompt cannot make two different
questions look alike, and "and in French?" after two different questions is not a hit.
Only complete, successful, non-streamed answers are stored; a hit can be replayed to a
streaming client as a short stream. The semantic cache itself is ``router.semantic``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from .config import ExactCacheConfig
from .state import StateStore

__all__ = [
    "CachedAnswer",
    "ExactCache",
    "cache_key",
    "namespace",
    "semantic_namespace",
]

# Fields that change how an answer is delivered, not what it is.
_DELIVERY = frozenset({"stream", "stream_options", "user", "metadata", "store"})


class CachedAnswer:
    __slots__ = ("body", "target")

    def __init__(self, target: str, body: bytes) -> None:
        self.target = target
        self.body = body

    def encode(self) -> bytes:
        return self.target.encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> CachedAnswer:
        target, _, body = raw.partition(b"\n")
        return cls(target.decode(), body)


def namespace(tenant: str, data_class: str, route: str) -> str:
    """Where one tenant's answers for one data class and route live (unambiguous: names
    may contain any character)."""
    return orjson.dumps((tenant, data_class, route)).decode()


def semantic_namespace(namespace: str, body: dict[str, Any]) -> str | None:
    """The semantic namespace of a request whose last message is the user's: its
    namespace, its parameters and a digest of the conversation before that turn. None
    when the conversation does not end with a user turn (tool results are answered fresh)."""
    messages = body["messages"]
    if messages[-1].get("role") != "user":
        return None
    params = {k: v for k, v in body.items() if k not in _SEMANTIC_EXCLUDED}
    digest = hashlib.blake2b(digest_size=16, person=b"inferplane-sem")
    digest.update(orjson.dumps(messages[:-1], option=orjson.OPT_SORT_KEYS))
    digest.update(orjson.dumps(params, option=orjson.OPT_SORT_KEYS))
    return namespace + digest.hexdigest()


# The semantic namespace holds everything but the compared turn and delivery fields.
_SEMANTIC_EXCLUDED = _DELIVERY | {"messages"}


def cache_key(namespace: str, body: dict[str, Any]) -> str:
    content = {k: v for k, v in body.items() if k not in _DELIVERY}
    canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.blake2b(canonical, digest_size=16, person=b"inferplane-exact")
    digest.update(namespace.encode())
    return digest.hexdigest()


class ExactCache:
    def __init__(self, config: ExactCacheConfig, store: StateStore) -> None:
        self.enabled = config.enabled
        self._ttl = config.ttl_s
        self._store = store

    async def get(self, key: str) -> CachedAnswer | None:
        raw = await self._store.get(key)
        return CachedAnswer.decode(raw) if raw is not None else None

    async def put(self, key: str, answer: CachedAnswer) -> None:
        await self._store.set(key, answer.encode(), self._ttl)
