"""SemanticCache: for one routed call, find an earlier answer to a prompt that means the
same, or remember this call's answer for the next one.

Lookup, in order (each step that stops counts a skip with its reason):

1. the route opted in (``cache.semantic.routes``);
2. the conversation ends with a user turn (``cache.semantic_namespace``: the partition
   holds tenant, data class, route, request parameters and a digest of earlier turns);
   that turn is text only (``not_text``): its embedding is of its text, so two questions
   about two different images would look the same;
3. residency: the embedder may receive the request's data class (an embedding target's
   ``allowed_data_classes``); a restricted prompt is never sent out of its zone to be
   embedded, it just skips this cache (the exact cache still answers it);
4. the shared store answers (a Redis that went away is retried every ``state.retry_s``);
5. the embedder gives a vector; the partition is also keyed by the embedder's identity, so
   vectors of two models are never compared;
6. the replica's copy of the partition catches up with the shared log and the most similar
   entry at or above ``threshold`` is served, if its answer has not expired.

The partition is a 128-bit digest of all of the above: an answer computed for one tenant
or data class cannot be found from another.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from ..backends import Usage
from ..cache import CachedAnswer, semantic_namespace
from ..config import BreakerConfig, RouterConfig, SecretRef
from ..errors import StateUnavailableError
from ..redisconn import connect
from ..resilience import CircuitBreaker
from .embedders import EmbedderDown, Embedding, EmbeddingFailed, TextEmbedder, build_embedder
from .index import VectorIndex
from .metrics import SemanticMetrics
from .shared import START, MemoryLog, RedisLog, VectorLog

if TYPE_CHECKING:
    from ..backends import ChatBackend
    from ..pipeline.accounting import Accounting
    from ..pipeline.call import Call

__all__ = ["SYNC_BATCH", "SemanticCache", "partition_id"]

logger = logging.getLogger("inferplane.router")

SYNC_BATCH = 4096
"""Log entries a replica copies per lookup (a cold replica catches up over a few)."""


def partition_id(semantic_space: str, embedder: str) -> str:
    digest = hashlib.blake2b(digest_size=16, person=b"inferplane-semp")
    digest.update(orjson.dumps((semantic_space, embedder)))
    return digest.hexdigest()


class _Mirror:
    """This replica's copy of one partition and how far into the log it has read."""

    __slots__ = ("after", "index")

    def __init__(self) -> None:
        self.index: VectorIndex | None = None
        self.after = START


class SemanticCache:
    def __init__(
        self,
        config: RouterConfig,
        backends: Mapping[str, ChatBackend],
        accounting: Accounting,
        resolve_secret: Callable[[SecretRef], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config.cache.semantic
        self.enabled = self.config.enabled
        self.stats = SemanticMetrics()
        self._router = config
        self._accounting = accounting
        self._clock = clock
        self._mirrors: OrderedDict[str, _Mirror] = OrderedDict()
        self._entries = 0
        self._state = CircuitBreaker(
            BreakerConfig(failure_threshold=1, reset_timeout_s=config.state.retry_s)
        )
        self.embedder: TextEmbedder | None = None
        self.log: VectorLog = MemoryLog(self.config.max_entries, clock)
        if not self.enabled:
            return
        self.embedder = build_embedder(self.config, config.targets, backends, config.breaker)
        state = config.state
        if state.backend == "redis" and state.url is not None:
            client = connect(state, resolve_secret)  # state.url, and state.ca if any
            self.log = RedisLog(client, f"inferplane:{config.stack}")

    async def lookup(self, call: Call, space: str) -> CachedAnswer | None:
        """An earlier answer for ``call`` (whose exact-cache namespace is ``space``); on a
        miss ``call`` remembers where its answer goes (``store``)."""
        route = call.decision.route.name
        semantic_space = semantic_namespace(space, call.body)
        skip = self._skip_reason(call, route, semantic_space)
        if skip is not None or semantic_space is None:
            self.stats.lookup(route, "skip", skip or "conversation")
            return None
        assert self.embedder is not None  # enabled
        try:
            embedding = await self.embedder.embed(call.chat.last_user_text)
        except EmbedderDown:
            self.stats.lookup(route, "skip", "embedder_down")
            return None
        except EmbeddingFailed as exc:
            logger.warning("request %s: semantic cache skipped: %s", call.request_id, exc)
            self.stats.lookup(route, "skip", "embed_error")
            return None
        self._charge(embedding)
        partition = partition_id(semantic_space, self.embedder.identity)
        call.semantic_space, call.vector = partition, embedding.vector
        try:
            answer, reason = await self.find(partition, embedding)
        except StateUnavailableError as exc:
            self._state_failed(exc)
            self.stats.lookup(route, "skip", "state_unavailable")
            return None
        self._state.record_success()
        self._accounting.cache_lookup("semantic", answer is not None)
        self.stats.lookup(route, "hit" if answer else "miss", reason)
        if answer is not None:
            self._saved(route, answer)
        return answer

    def _skip_reason(self, call: Call, route: str, semantic_space: str | None) -> str | None:
        """Why ``call`` cannot use the cache, in the order of the module's docstring."""
        if self.config.routes is not None and route not in self.config.routes:
            return "route"
        if semantic_space is None:
            return "conversation"
        if not _text_only(call.body["messages"][-1].get("content")):
            return "not_text"
        assert self.embedder is not None
        if not self.embedder.may_embed(call.classification.data_class):
            return "residency"
        if not self._state.allow():
            return "state_unavailable"
        return None

    async def find(self, partition: str, embedding: Embedding) -> tuple[CachedAnswer | None, str]:
        """The answer of the most similar live entry of ``partition`` and why (``similar``,
        ``no_similar``, ``expired``), after catching up with the shared log."""
        index = await self._synced(partition)
        found = index.best(embedding.vector, self._clock()) if index is not None else None
        if found is None:
            return None, "no_similar"
        raw = await self.log.answer(partition, found[0])
        if raw is None:
            assert index is not None
            index.forget(found[0])
            return None, "expired"
        return CachedAnswer.decode(raw), "similar"

    async def _synced(self, partition: str) -> VectorIndex | None:
        """This replica's copy of ``partition``, caught up with the shared log."""
        import numpy as np

        mirror = self._mirrors.get(partition)
        if mirror is None:
            mirror = self._mirrors[partition] = _Mirror()
        self._mirrors.move_to_end(partition)
        entries = await self.log.read(partition, mirror.after, SYNC_BATCH)
        if not entries:
            return mirror.index
        before = len(mirror.index or ())
        for entry in entries:
            vector = np.frombuffer(entry.vector, dtype=np.float32)
            if mirror.index is None:
                capacity, threshold = self.config.max_entries, self.config.threshold
                mirror.index = VectorIndex(len(vector), capacity, threshold)
            if len(vector) == mirror.index.dimensions:
                mirror.index.add(vector, entry.ref, entry.created + self.config.ttl_s)
        mirror.after = entries[-1].id
        self._entries += len(mirror.index or ()) - before
        self._bound()
        return mirror.index

    def _bound(self) -> None:
        """At most ``max_entries`` copied entries over all partitions (least recently used
        partitions dropped first; they are copied again from the log when asked)."""
        while self._entries > self.config.max_entries and len(self._mirrors) > 1:
            _, dropped = self._mirrors.popitem(last=False)
            self._entries -= len(dropped.index or ())

    async def store(self, call: Call, target: str, body: bytes) -> None:
        """Remember a complete answer of a call that missed."""
        if call.semantic_space is None or call.vector is None or not self._state.allow():
            return
        answer = CachedAnswer(target, body).encode()
        vector = call.vector.astype("float32").tobytes()
        try:
            await self.log.add(
                call.semantic_space, vector, answer, self.config.ttl_s, self.config.max_entries
            )
        except StateUnavailableError as exc:
            self._state_failed(exc)
            return
        self._state.record_success()

    def _state_failed(self, exc: StateUnavailableError) -> None:
        if self._state.state == "closed":
            logger.warning(
                "semantic cache: shared store unreachable (%s); skipped until it answers "
                "(next try in %.1f s)",
                exc.message,
                self._router.state.retry_s,
            )
        self._state.record_failure()

    def _charge(self, embedding: Embedding) -> None:
        """The embedding target's tokens and cost count like any target's."""
        assert self.embedder is not None
        name = self.embedder.target
        if name is None:
            return
        self._accounting.spent(name, Usage(prompt_tokens=embedding.prompt_tokens))

    def _saved(self, route: str, answer: CachedAnswer) -> None:
        usage = _usage(answer.body)
        tokens = Usage(
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )
        known = answer.target in self._router.targets  # a target since removed: no price
        usd = self._accounting.cost(answer.target, tokens) if known else 0.0
        self.stats.saved(route, tokens.prompt_tokens, tokens.completion_tokens, usd)

    def render(self) -> bytes:
        return ("\n".join(self.stats.render()) + "\n").encode()

    async def close(self) -> None:
        await self.log.close()


def _usage(body: bytes) -> dict[str, Any]:
    try:
        usage = orjson.loads(body).get("usage")
    except (orjson.JSONDecodeError, AttributeError):
        return {}
    return usage if isinstance(usage, dict) else {}


def _text_only(content: object) -> bool:
    """True when a message's content is text alone (a string, or text parts only)."""
    if not isinstance(content, list):
        return True
    return all(isinstance(p, dict) and p.get("type", "text") == "text" for p in content)
