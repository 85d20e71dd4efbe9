"""Blocking boto3 calls vs the router's event loop: Bedrock calls that block pool
threads while fast requests to another target keep flowing (in process)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import orjson

from bench.router.processes import free_port
from bench.router.workload import KEY, router_config


def boto_stall_demo() -> dict[str, float]:
    """In process: 16 Bedrock calls that each block a pool thread for 200 ms, while fast
    requests to another target keep flowing; their latency shows whether the loop stalled."""
    return asyncio.run(_boto_stall())


async def _boto_stall() -> dict[str, float]:
    from aiohttp import web

    from bench.router.upstream import make_app
    from inferplane.router.backends.bedrock import BedrockBackend
    from inferplane.router.config import RouterConfig
    from inferplane.router.core import Gateway, Request

    runner = web.AppRunner(make_app(20), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    document = router_config(port)
    document["targets"]["bedrock"] = {
        "backend": "bedrock",
        "model": "anthropic.claude",
        "region": "eu-central-1",
        "location": "cloud:aws:eu-central-1",
        "allowed_data_classes": ["public", "confidential"],
    }
    document["routes"] = [
        {"name": "slow", "match": {"alias": "bedrock"}, "targets": ["bedrock"]},
        {"name": "default", "targets": ["mock"]},
    ]
    document["cache"] = {"exact": {"enabled": False}}
    document["access_log"] = False
    config = RouterConfig.model_validate(document)
    gateway = Gateway(config)

    class SlowBedrock:
        def converse(self, **_: Any) -> dict[str, Any]:
            time.sleep(0.2)  # a blocking SDK call
            return {
                "output": {"message": {"content": [{"text": "ok"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 1},
            }

    gateway.backends["bedrock"] = BedrockBackend(
        "bedrock", config.targets["bedrock"], gateway.context, client=SlowBedrock()
    )
    headers = {"authorization": f"Bearer {KEY}"}

    def body(model: str) -> bytes:
        return orjson.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})

    async def fast_one() -> float:
        began = time.perf_counter()
        response = await gateway.handle(
            Request("POST", "/v1/chat/completions", headers, body("default"))
        )
        assert response.status == 200
        return time.perf_counter() - began

    began = time.perf_counter()
    slow = [
        asyncio.ensure_future(
            gateway.handle(Request("POST", "/v1/chat/completions", headers, body("bedrock")))
        )
        for _ in range(16)
    ]
    fast: list[float] = []
    while not all(task.done() for task in slow):
        fast.append(await fast_one())
    statuses = [task.result().status for task in slow]
    wall = time.perf_counter() - began
    await gateway.close()
    await runner.cleanup()
    assert statuses == [200] * 16
    return {
        "bedrock_calls": 16,
        "blocking_s_each": 0.2,
        "pool_threads": config.limits.blocking_threads,
        "wall_s": wall,
        "fast_requests_meanwhile": len(fast),
        "fast_p50_ms": statistics.median(fast) * 1000,
        "fast_max_ms": max(fast) * 1000,
    }
