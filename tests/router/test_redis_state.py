"""Rate limits and the exact cache in a real redis-server on a free loopback port."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator

import orjson
import pytest
import redis

from router.cache import CachedAnswer, ExactCache
from router.config import ExactCacheConfig
from router.core import Gateway, Request
from router.state import RedisStore
from tests.router import configs
from tests.router.configs import KEY_CONFIDENTIAL
from tests.router.fakes import free_port
from tests.support.tools import require_tool

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path: object) -> Iterator[str]:
    require_tool("redis-server")
    assert REDIS is not None
    port = free_port()
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(200):  # wait for readiness, not for a time
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        process.wait(5)


def test_redis_store_counts_windows_and_caches(redis_url: str) -> None:
    async def scenario() -> tuple[list[int], CachedAnswer | None, CachedAnswer | None]:
        store = RedisStore.from_url(redis_url, prefix="inferplane:test")
        other_replica = RedisStore.from_url(redis_url, prefix="inferplane:test")
        counts = [await store.hit("key:app", 60) for _ in range(2)]
        counts.append(await other_replica.hit("key:app", 60))
        cache = ExactCache(ExactCacheConfig(ttl_s=60), store)
        await cache.put("k1", CachedAnswer("edge", b'{"x":1}'))
        shared = await ExactCache(ExactCacheConfig(), other_replica).get("k1")
        missing = await cache.get("nope")
        await store.close()
        await other_replica.close()
        return counts, shared, missing

    counts, shared, missing = asyncio.run(scenario())
    assert counts == [1, 2, 3]  # one limit across replicas
    assert shared is not None
    assert (shared.target, shared.body) == ("edge", b'{"x":1}')
    assert missing is None


def test_replicas_share_one_rate_limit_through_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTER_REDIS_URL", redis_url)
    cfg = configs.config(
        {"t": configs.target("http://127.0.0.1:9", ("confidential",))},
        [{"name": "default", "targets": ["t"]}],
        state={"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}},
    )

    async def scenario() -> list[int]:
        replicas = [Gateway(cfg), Gateway(cfg)]
        statuses = []
        for index in range(4):
            request = Request(
                "POST",
                "/v1/chat/completions",
                configs.auth(KEY_CONFIDENTIAL),
                orjson.dumps(configs.chat()),
            )
            statuses.append((await replicas[index % 2].handle(request)).status)
        for gateway in replicas:
            await gateway.close()
        return statuses

    # The key allows 3 requests a minute in total; the target is down (503) for those.
    assert asyncio.run(scenario()) == [503, 503, 503, 429]
