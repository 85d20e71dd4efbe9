"""Self-hosted OpenAI-compatible servers with more to them than one URL: a target that
scales to zero (``cold``: ``router.cold``) and/or whose replicas the router addresses one by
one (``replicas``: ``router.replicas``). Everything else is ``OpenAICompatBackend``'s,
including the other OpenAI endpoints (legacy completions, embeddings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from ..cold import ColdStart
from ..config import TargetConfig
from ..errors import UpstreamStatusError
from ..replicas import ReplicaSet
from ..target_auth import OutgoingRequest
from .base import BackendContext, Completion, Usage
from .http import translate_error
from .openai_compat import OpenAICompatBackend

__all__ = ["SelfHostedBackend"]


class SelfHostedBackend(OpenAICompatBackend):
    bounds_total = False  # a cold target is tried again within the core's total

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        if target.url is None and target.replicas is not None and target.replicas.urls:
            target = target.model_copy(update={"url": target.replicas.urls[0]})
        super().__init__(name, target, context)
        self.replicas = (
            ReplicaSet(name, target.replicas, self.base) if target.replicas is not None else None
        )
        self.cold = ColdStart(name, target.cold) if target.cold is not None else None

    async def start(self) -> None:
        await super().start()
        if self.replicas is not None:
            await self.replicas.start()

    async def close(self) -> None:
        if self.replicas is not None:
            await self.replicas.close()
        if self.cold is not None:
            await self.cold.close()
        await super().close()

    async def _post(self, url: str, body: dict[str, Any]) -> Completion:
        if self.cold is None:
            return await self._post_replica(url, body)
        return await self.cold.call(lambda: self._post_replica(url, body), self._probe)

    async def _post_replica(self, url: str, body: dict[str, Any]) -> Completion:
        if self.replicas is None:
            return await super()._post(url, body)
        async with self.replicas.use(body) as base:
            return await super()._post(base + url[len(self.base) :], body)

    def _stream(
        self, url: str, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        def open_stream() -> AsyncIterator[bytes]:
            return self._stream_replica(url, body, usage, include_usage)

        if self.cold is None:
            return open_stream()
        return self.cold.first_block(open_stream, self._probe)

    async def _stream_replica(
        self, url: str, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        if self.replicas is None:
            async for block in super()._stream(url, body, usage, include_usage):
                yield block
            return
        async with self.replicas.use(body) as base:
            rebased = base + url[len(self.base) :]
            async for block in super()._stream(rebased, body, usage, include_usage):
                yield block

    async def _probe(self) -> None:
        """Wake the target without a model call: ``GET /models`` through the target's
        front (Cloud Run, Container Apps and KEDA's HTTP interceptor start an instance on
        any request); a success means it is up."""
        url = self.endpoint_url("models")
        request = OutgoingRequest("GET", url, {}, b"")
        await self.credentials.authorize(request)
        verify = self.credentials.ssl if self.credentials.ssl is not None else True
        try:
            async with self.context.session.get(
                url, headers=request.headers, timeout=self.timeout, ssl=verify
            ) as response:
                if response.status >= 400:
                    raise UpstreamStatusError(
                        f"target {self.name!r} answered {response.status} to a wake-up",
                        target=self.name,
                        upstream_status=response.status,
                    )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise translate_error(exc, self.name) from exc
