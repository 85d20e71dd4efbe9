"""Text to a unit-length float32 vector, for the semantic cache.

``HashingEmbedder`` runs in process (``router.embedder``). ``TargetEmbedder`` sends the
text to a target of the stack through the same adapter that answers ``/v1/embeddings``
(``router.api.embedding_backends``), so every backend that can embed can serve the cache.
Which data classes may reach it is the target's own ``allowed_data_classes``: the cache
asks ``may_embed`` before any text leaves the router.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import orjson

from ..config import BreakerConfig, SemanticCacheConfig, TargetConfig
from ..errors import ConfigError, UpstreamError
from ..resilience import CircuitBreaker

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ..backends import ChatBackend

__all__ = [
    "EmbedderDown",
    "Embedding",
    "EmbeddingFailed",
    "HashingEmbedder",
    "TargetEmbedder",
    "TextEmbedder",
    "build_embedder",
]


@dataclass(frozen=True, slots=True)
class Embedding:
    vector: npt.NDArray[np.float32]
    """Unit length."""
    prompt_tokens: int = 0
    """Tokens the embedding target billed (0 in process)."""


class EmbeddingFailed(Exception):
    """The embedding target did not give a usable vector: the request skips the cache."""


class EmbedderDown(EmbeddingFailed):
    """The embedding target's breaker is open: not called at all."""


class TextEmbedder(Protocol):
    @property
    def identity(self) -> str:
        """Names the vector space: vectors of two identities are never compared."""
        ...

    @property
    def target(self) -> str | None:
        """The target the text is sent to; None when it stays in process."""
        ...

    def may_embed(self, data_class: str) -> bool: ...

    async def embed(self, text: str) -> Embedding: ...


class HashingEmbedder:
    identity = "hashing:crc32:256"
    target: str | None = None

    def may_embed(self, data_class: str) -> bool:
        return True  # the text never leaves the process

    async def embed(self, text: str) -> Embedding:
        import numpy as np

        from ..embedder import hashing_embedder

        return Embedding(np.asarray(hashing_embedder(text), dtype=np.float32))


class TargetEmbedder:
    """One of the stack's targets, through its embeddings adapter; a breaker keeps a failing
    target from adding its timeout to every request."""

    def __init__(
        self,
        name: str,
        target: TargetConfig,
        backend: ChatBackend,
        timeout_s: float,
        breaker: BreakerConfig,
    ) -> None:
        from ..api.embedding_backends import embedder_for

        send = embedder_for(backend)
        if send is None:
            raise ConfigError(
                f"cache.semantic.embedder 'target:{name}': backend {target.backend!r} with "
                f"model {target.model!r} cannot serve embeddings; allowed: OpenAI-compatible, "
                "Azure OpenAI, Bedrock Titan/Cohere embedding and Vertex targets"
            )
        self._send = send
        self.target: str | None = name
        self.config = target
        self.identity = f"target:{name}:{target.model}"
        self._allowed = frozenset(target.allowed_data_classes)
        self._timeout_s = min(timeout_s, target.timeouts.total)
        self._breaker = CircuitBreaker(breaker)

    def may_embed(self, data_class: str) -> bool:
        """Residency, as for any request: only classes the target may receive."""
        return data_class in self._allowed

    async def embed(self, text: str) -> Embedding:
        if not self._breaker.allow():
            raise EmbedderDown(f"embedding target {self.target!r}: circuit open")
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = await self._send({"model": self.config.model, "input": [text]})
            embedding = Embedding(_unit(answer.body), answer.usage.prompt_tokens)
        except (UpstreamError, TimeoutError, EmbeddingFailed) as exc:
            self._breaker.record_failure()
            raise EmbeddingFailed(f"embedding target {self.target!r}: {exc!r}") from exc
        self._breaker.record_success()
        return embedding


def _unit(body: bytes) -> npt.NDArray[np.float32]:
    import numpy as np

    try:
        values = orjson.loads(body)["data"][0]["embedding"]
        vector = np.asarray(values, dtype=np.float32)
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise EmbeddingFailed(f"no embedding in the answer ({exc!r})") from exc
    norm = float(np.linalg.norm(vector)) if vector.ndim == 1 else 0.0
    if not norm or not np.isfinite(norm):
        raise EmbeddingFailed("the embedding is empty, zero or not finite")
    return vector / np.float32(norm)


def build_embedder(
    config: SemanticCacheConfig,
    targets: Mapping[str, TargetConfig],
    backends: Mapping[str, ChatBackend],
    breaker: BreakerConfig,
) -> TextEmbedder:
    name = config.target
    if name is None:
        return HashingEmbedder()
    return TargetEmbedder(name, targets[name], backends[name], config.timeout_s, breaker)
