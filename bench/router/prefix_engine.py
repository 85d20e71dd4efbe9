"""A fake LLM engine replica that models prefix caching: a real loopback HTTP server.

Each replica keeps an LRU of prompt blocks (``block_chars`` characters, hashes chained over
the blocks before, as vLLM's automatic prefix caching does on tokens). A request's leading
blocks found in the LRU are hits; the time to its first token is ``base_ms`` plus
``prefill_ms_per_block`` per uncached block (prefill cost grows with the uncached prompt),
then ``tokens`` chunks follow ``decode_ms_per_token`` apart. At most ``concurrency``
requests are processed at once (the engine's batch); the rest queue, which counts in their
time to first token too. The engine's own view of the prompt (role tags plus text) differs
from the router's on purpose: the router's choice is judged by what the engine caches.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import orjson
from aiohttp import web

from bench.router.upstream import BENCH
from inferplane.smoke import openai_upstream as openai

__all__ = ["EngineModel", "PrefixCacheEngine", "serve_replicas"]


@dataclass(frozen=True)
class EngineModel:
    block_chars: int = 64
    cache_blocks: int = 512
    """Prompt blocks one replica's KV cache holds."""
    concurrency: int = 4
    base_ms: float = 4.0
    prefill_ms_per_block: float = 4.0
    decode_ms_per_token: float = 5.0
    tokens: int = 8
    chars_per_token: int = 32
    """Characters of answer per streamed chunk."""


class PrefixCacheEngine:
    """One replica: ``app`` serves ``POST /v1/chat/completions`` (streamed or JSON)."""

    def __init__(self, name: str, model: EngineModel) -> None:
        self.name = name
        self.model = model
        self.cache: OrderedDict[bytes, None] = OrderedDict()
        self.blocks = 0
        self.hit_blocks = 0
        self.requests = 0
        self._slots = asyncio.Semaphore(model.concurrency)
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self._chat)

    def _hashes(self, body: dict[str, Any]) -> list[bytes]:
        text = "".join(f"<|{m.get('role')}|>{m.get('content')}" for m in body["messages"])
        size = self.model.block_chars
        hashes: list[bytes] = []
        previous = b""
        for start in range(0, len(text) - size + 1, size):
            previous = hashlib.sha1(previous + text[start : start + size].encode()).digest()
            hashes.append(previous)
        return hashes

    def _prefill(self, hashes: list[bytes]) -> int:
        """Cached leading blocks (touched), then the prompt enters the cache."""
        hits = 0
        for h in hashes:
            if h not in self.cache:
                break
            self.cache.move_to_end(h)
            hits += 1
        for h in hashes[hits:]:
            self.cache[h] = None
        while len(self.cache) > self.model.cache_blocks:
            self.cache.popitem(last=False)
        self.blocks += len(hashes)
        self.hit_blocks += hits
        return len(hashes) - hits

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        hashes = self._hashes(body)
        model = self.model
        digest = hashlib.sha1(b"".join(hashes[-1:]) + str(len(hashes)).encode()).hexdigest()
        words = [(digest * 8)[: model.chars_per_token] for _ in range(model.tokens)]
        async with self._slots:
            self.requests += 1
            missed = self._prefill(hashes)
            await asyncio.sleep((model.base_ms + model.prefill_ms_per_block * missed) / 1000)
            if not body.get("stream"):
                await asyncio.sleep(model.decode_ms_per_token * model.tokens / 1000)
                usage = openai.Usage(prompt=len(hashes) * 16, completion=model.tokens)
                answer = openai.completion(body["model"], "".join(words), usage, id_=BENCH)
                return web.json_response(answer)
            response = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await response.prepare(request)
            for index, word in enumerate(words):
                if index:
                    await asyncio.sleep(model.decode_ms_per_token / 1000)
                delta: dict[str, object] = {"content": word}
                await response.write(openai.sse(openai.chunk(body["model"], delta, id_=BENCH)))
            await response.write(openai.DONE)
            await response.write_eof()
            return response


def serve_replicas(model: EngineModel, replicas: int, conn: Connection) -> None:
    """In a child process: serve ``replicas`` engines on loopback ports, send their base
    URLs through ``conn``, and on the next message send each engine's (blocks, hit blocks,
    requests) and stop. Its own process and event loop, so the engines' timing does not
    share a loop with the router and the client."""
    asyncio.run(_serve_replicas(model, replicas, conn))


async def _serve_replicas(model: EngineModel, replicas: int, conn: Connection) -> None:
    engines = [PrefixCacheEngine(f"r{i}", model) for i in range(replicas)]
    runners: list[web.AppRunner] = []
    urls: list[str] = []
    for engine in engines:
        runner = web.AppRunner(engine.app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        urls.append(f"http://127.0.0.1:{port}/v1")
    conn.send(urls)
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    conn.send([(e.blocks, e.hit_blocks, e.requests) for e in engines])
    for runner in runners:
        await runner.cleanup()
