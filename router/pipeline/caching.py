"""Caching, the stage before dispatch: answer from the exact cache (the state store) or
the semantic cache, and store a target's complete answer in both. Every lookup is
counted; a hit is accounted like an answer from its original target, at no cost."""

from __future__ import annotations

from ..backends import Usage
from ..cache import (
    CachedAnswer,
    ExactCache,
    SemanticCache,
    cache_key,
    namespace,
    semantic_namespace,
)
from ..config import RouterConfig
from ..embedder import Embedder
from ..sse import replay
from ..state import StateStore
from .accounting import Accounting
from .call import Call
from .wire import JSON, Response

__all__ = ["Caching"]


class Caching:
    """Both answer caches of one router, scoped by tenant, data class and route."""

    def __init__(
        self,
        config: RouterConfig,
        store: StateStore,
        embedder: Embedder | None,
        accounting: Accounting,
    ) -> None:
        self.exact = ExactCache(config.cache.exact, store)
        self.semantic = SemanticCache(config.cache.semantic, embedder)
        self.accounting = accounting

    async def answer(self, call: Call) -> Response | None:
        """A cached answer for ``call`` (a short stream when it asked for one), or None.
        Remembers the call's keys so ``store`` can file the target's answer under them."""
        hit = await self._lookup(call)
        if hit is None:
            return None
        self.accounting.finished(call, hit.target, 200, Usage(), cached=True)
        if call.chat.stream:
            headers = call.headers(hit.target, "text/event-stream", "hit")
            return Response(200, headers, stream=replay(hit.body, call.chat.include_usage))
        return Response(200, call.headers(hit.target, JSON, "hit"), hit.body)

    async def _lookup(self, call: Call) -> CachedAnswer | None:
        space = namespace(call.tenant, call.classification.data_class, call.decision.route.name)
        answer = None
        if self.exact.enabled:
            call.cache_key = cache_key(space, call.body)
            answer = await self.exact.get(call.cache_key)
            self.accounting.cache_lookup("exact", answer is not None)
        if answer is None and self.semantic.enabled:
            call.semantic_space = semantic_namespace(space, call.body)
            if call.semantic_space is not None:
                call.vector = self.semantic.embed(call.chat.last_user_text)
                answer = self.semantic.get(call.semantic_space, call.vector)
                self.accounting.cache_lookup("semantic", answer is not None)
        return answer

    async def store(self, call: Call, target: str, body: bytes) -> None:
        """File ``target``'s complete answer under the keys ``answer`` computed."""
        answer = CachedAnswer(target, body)
        if call.cache_key is not None:
            await self.exact.put(call.cache_key, answer)
        if call.semantic_space is not None and call.vector is not None:
            self.semantic.put(call.semantic_space, call.vector, answer)
