"""The replicas of one self-hosted target, and which one takes a request.

The list is fixed (``ReplicaConfig.urls``) or the A/AAAA records of a headless Kubernetes
Service (``ReplicaConfig.dns``: one record per ready pod), resolved in the background every
``refresh_s`` and again on demand when it is empty (a scaled-to-zero Deployment has none;
it may just have come up). With no replica known, requests go to the target's own ``url``
(the ClusterIP Service), so a resolution problem never stops traffic.

``policy: prefix`` picks by ``router.prefix.PrefixIndex``; ``round_robin`` in turn. Each
replica's requests in flight are counted from the choice to the end of the answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from router.config import ReplicaConfig
from router.prefix import PrefixIndex, block_hashes, prompt_text

__all__ = ["ReplicaSet", "Resolver"]

logger = logging.getLogger("inferplane.router")

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> IP addresses."""

_ON_DEMAND_S = 1.0
"""Least pause between two on-demand resolutions of an empty set."""


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return sorted({str(info[4][0]) for info in infos})


class ReplicaSet:
    """Replica base URLs of one target and the choice among them."""

    def __init__(
        self,
        name: str,
        config: ReplicaConfig,
        fallback_url: str,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.config = config
        self.fallback_url = fallback_url.rstrip("/")
        self.resolver = resolver or _resolve
        self.clock = clock
        self.urls: list[str] = [u.rstrip("/") for u in config.urls]
        self.in_flight: dict[str, int] = {}
        self.chosen: dict[str, int] = {}
        """Requests sent to each replica (tests, benchmark)."""
        self.index = PrefixIndex(config.max_blocks, config.load_factor)
        self._turn = 0
        self._resolved_at = -_ON_DEMAND_S
        self._refresher: asyncio.Task[None] | None = None
        self._failing = False

    async def start(self) -> None:
        if self.config.dns is None:
            return
        await self.refresh()
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_s)
            await self.refresh()

    async def refresh(self) -> None:
        """Resolve the headless Service again; on failure keep the last list (logged once)."""
        if self.config.dns is None:
            return
        self._resolved_at = self.clock()
        try:
            addresses = await self.resolver(self.config.dns, self.config.port)
        except OSError as exc:
            # NXDOMAIN or no records: a Service without ready pods (scaled to zero).
            if not self._failing:
                logger.info("target %r: no replicas at %s (%s)", self.name, self.config.dns, exc)
            self._failing = True
            addresses = []
        else:
            self._failing = False
        urls = [self._url(address) for address in addresses]
        for gone in set(self.urls) - set(urls):
            self.index.forget(gone)
        self.urls = urls

    def _url(self, address: str) -> str:
        host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
        return f"http://{host}:{self.config.port}{self.config.path}"

    async def pick(self, body: Mapping[str, Any]) -> str:
        """The base URL for ``body`` (without counting it in flight: see ``use``)."""
        stale = self.clock() - self._resolved_at >= _ON_DEMAND_S
        if not self.urls and self.config.dns is not None and stale:
            await self.refresh()
        if not self.urls:
            return self.fallback_url
        if self.config.policy == "round_robin":
            url = self.urls[self._turn % len(self.urls)]
            self._turn += 1
            return url
        hashes = block_hashes(prompt_text(body), self.config.block_chars)
        url, _ = self.index.choose(hashes, self.urls, self.in_flight)
        return url

    @asynccontextmanager
    async def use(self, body: Mapping[str, Any]) -> AsyncIterator[str]:
        """The chosen base URL, counted in flight until the block ends."""
        url = await self.pick(body)
        self.in_flight[url] = self.in_flight.get(url, 0) + 1
        self.chosen[url] = self.chosen.get(url, 0) + 1
        try:
            yield url
        finally:
            self.in_flight[url] -= 1
