"""Response caches: exact (canonical JSON + blake2b, in the state store) and semantic.

Both are namespaced by tenant, data class and route (``namespace``): an answer computed
for one tenant (an API key, or its team) is never served to another, and neither is one
computed for another data class. The semantic cache compares the last user turn only, in
a namespace that also holds the request parameters and a digest of everything before that
turn (system prompt, earlier turns): a long shared system prompt cannot make two different
questions look alike, and "and in French?" after two different questions is not a hit.
Only complete, successful, non-streamed answers are stored; a hit can be replayed to a
streaming client as a short stream.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .config import ExactCacheConfig, SemanticCacheConfig
from .embedder import EMBEDDERS, Embedder
from .errors import ConfigError
from .state import StateStore

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CachedAnswer",
    "ExactCache",
    "SemanticCache",
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


class _Namespace:
    """A ring buffer of unit vectors and their answers; grows by doubling up to ``size``
    so that a rarely used namespace costs a few kilobytes, not the full matrix."""

    def __init__(self, size: int, dimensions: int) -> None:
        import numpy as np

        self.size = size
        self.vectors: npt.NDArray[np.float32] = np.zeros(
            (min(size, _FIRST_ROWS), dimensions), dtype=np.float32
        )
        self.answers: list[CachedAnswer | None] = []
        self.count = 0
        self.next = 0

    def put(self, vector: Sequence[float], answer: CachedAnswer) -> None:
        import numpy as np

        if self.next == len(self.vectors) and len(self.vectors) < self.size:
            grown = min(self.size, 2 * len(self.vectors))
            self.vectors = np.resize(self.vectors, (grown, self.vectors.shape[1]))
        self.vectors[self.next] = vector
        if self.next < len(self.answers):
            self.answers[self.next] = answer
        else:
            self.answers.append(answer)
        self.next = (self.next + 1) % self.size
        self.count = min(self.count + 1, self.size)


_FIRST_ROWS = 8


class SemanticCache:
    """Top-1 cosine lookup among earlier prompts of the same namespace (in process).
    At most ``max_entries`` answers in all namespaces together: the least recently used
    namespaces are dropped first (there is one per tenant, route and conversation prefix)."""

    def __init__(self, config: SemanticCacheConfig, embedder: Embedder | None = None) -> None:
        self.enabled = config.enabled
        self._threshold = config.threshold
        self._size = config.max_entries
        self._namespaces: OrderedDict[str, _Namespace] = OrderedDict()
        self._entries = 0
        if embedder is None and self.enabled:
            factory = EMBEDDERS.get(config.embedder)
            if factory is None:
                known = ", ".join(sorted(EMBEDDERS))
                raise ConfigError(f"cache.semantic.embedder {config.embedder!r}; known: {known}")
            embedder = factory()
        self._embed = embedder

    def embed(self, text: str) -> Sequence[float]:
        assert self._embed is not None
        return self._embed(text)

    def get(self, namespace: str, vector: Sequence[float]) -> CachedAnswer | None:
        import numpy as np

        space = self._namespaces.get(namespace)
        if space is None or space.count == 0:
            return None
        self._namespaces.move_to_end(namespace)
        query = np.asarray(vector, dtype=np.float32)
        scores = space.vectors[: space.count] @ query
        best = int(np.argmax(scores))
        return space.answers[best] if scores[best] >= self._threshold else None

    def put(self, namespace: str, vector: Sequence[float], answer: CachedAnswer) -> None:
        space = self._namespaces.get(namespace)
        if space is None:
            space = self._namespaces[namespace] = _Namespace(self._size, len(vector))
        self._namespaces.move_to_end(namespace)
        before = space.count
        space.put(vector, answer)
        self._entries += space.count - before
        while self._entries > self._size and len(self._namespaces) > 1:
            _, dropped = self._namespaces.popitem(last=False)
            self._entries -= dropped.count

    def __len__(self) -> int:
        return self._entries
