"""Kill the primary target while a bounded load runs: no client request may fail."""

from __future__ import annotations

import asyncio

import httpx

from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import PATIENT, auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread

REQUESTS = 200
CONCURRENCY = 8
# What is tested is the kill, not the timeouts (FAST cut healthy streams at load 8-10).
# A killed target refuses connections at once, so the fallback never waits on PATIENT ones.


def test_primary_killed_mid_run_loses_no_request(loop: LoopThread) -> None:
    primary, fallback = FakeOpenAI("primary", chunks=3), FakeOpenAI("fallback", chunks=3)
    ups = [loop.serve(primary.app), loop.serve(fallback.app)]
    cfg = configs.config(
        {
            "primary": target(ups[0].url, ("public",), timeouts=PATIENT),
            "fallback": target(ups[1].url, ("public",), timeouts=PATIENT),
        },
        [{"name": "default", "targets": ["primary", "fallback"]}],
    )
    router = loop.serve(create_app(cfg))

    async def load() -> list[tuple[int, str]]:
        results: list[tuple[int, str]] = []
        queue = list(range(REQUESTS))
        async with httpx.AsyncClient(base_url=router.url, headers=auth()) as client:

            async def worker() -> None:
                while queue:
                    index = queue.pop()
                    if index == REQUESTS // 2:
                        await asyncio.to_thread(ups[0].stop)
                    body = chat(f"request {index}", stream=index % 2 == 0)
                    response = await client.post("/v1/chat/completions", json=body)
                    complete = response.status_code == 200 and (
                        not body["stream"] or response.text.endswith("data: [DONE]\n\n")
                    )
                    results.append((response.status_code if complete else -1, response.text))

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return results

    results = asyncio.run(load())
    failed = [text for status, text in results if status != 200]
    assert len(results) == REQUESTS
    assert failed == []
    assert primary.requests
    assert fallback.requests
