"""Caching, the stage before dispatch: answer from the exact cache (the state store) or
the semantic cache, and store a target's complete answer in both. Every lookup is
counted; a hit is accounted like an answer from its original target, at no cost."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..backends import ChatBackend, Usage
from ..cache import CachedAnswer, ExactCache, cache_key, namespace
from ..config import RouterConfig, SecretRef
from ..semantic.cache import SemanticCache
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
        backends: Mapping[str, ChatBackend],
        accounting: Accounting,
        resolve_secret: Callable[[SecretRef], str],
    ) -> None:
        self.exact = ExactCache(config.cache.exact, store)
        self.semantic = SemanticCache(config, backends, accounting, resolve_secret)
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
            answer = await self.semantic.lookup(call, space)
        return answer

    async def store(self, call: Call, target: str, body: bytes) -> None:
        """File ``target``'s complete answer under the keys ``answer`` computed."""
        answer = CachedAnswer(target, body)
        if call.cache_key is not None:
            await self.exact.put(call.cache_key, answer)
        await self.semantic.store(call, target, body)

    async def close(self) -> None:
        await self.semantic.close()
