"""A fake engine that takes N seconds to come up: a real loopback HTTP server.

``refuse``: nothing listens on its port until it is up (a Service without pods: the
connection is refused). ``503``: it listens at once but answers 503 with ``Retry-After``
until it is up (a platform front without an instance). Once up it is a ``FakeOpenAI``
that also serves ``GET /v1/models`` (the router's wake-up probe).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web

from tests.router.fakes import FakeOpenAI, LoopThread, free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WarmingEngine:
    def __init__(
        self,
        loop: LoopThread,
        name: str,
        up_after: float,
        mode: Literal["refuse", "503"] = "refuse",
    ) -> None:
        self.loop = loop
        self.fake = FakeOpenAI(name)
        self.up_after = up_after
        self.mode = mode
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.refused = 0
        """503 answers given while warming."""
        self.probes = 0
        self._runner: web.AppRunner | None = None
        self._started = time.monotonic()
        self.fake.app.router.add_get("/v1/models", self._models)
        self.fake.app.middlewares.append(self._warming)
        if up_after <= 0 or mode == "503":
            loop.run(self._serve())
        else:
            loop.loop.call_soon_threadsafe(loop.loop.call_later, up_after, self._come_up)
        loop.served.append(self)  # stopped with the loop

    @property
    def up_at(self) -> float:
        """When it is up (``time.monotonic``)."""
        return self._started + self.up_after

    @property
    def up(self) -> bool:
        return time.monotonic() >= self.up_at

    def _come_up(self) -> None:
        self._serving = asyncio.ensure_future(self._serve())

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.fake.app, shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    @web.middleware
    async def _warming(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.up:
            self.refused += 1
            return web.json_response(
                {"error": {"message": "no instance yet", "type": "server_error"}},
                status=503,
                headers={"retry-after": "1"},
            )
        return await handler(request)

    async def _models(self, request: web.Request) -> web.Response:
        self.probes += 1
        return web.json_response({"object": "list", "data": [{"id": "m", "object": "model"}]})

    def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            self.loop.run(runner.cleanup())
