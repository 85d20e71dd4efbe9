"""Rate limits and the exact cache in a real redis-server on a free loopback port."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import orjson
import pytest

from inferplane.router.app import create_app
from inferplane.router.auth import new_key
from inferplane.router.cache import CachedAnswer, ExactCache
from inferplane.router.config import ExactCacheConfig
from inferplane.router.core import Gateway, Request
from inferplane.router.state import RedisStore
from inferplane.smoke.redis import LocalRedis
from tests.router import configs
from tests.router.configs import KEY_CONFIDENTIAL
from tests.router.fakes import FakeOpenAI, LoopThread


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


def test_redis_going_away_degrades_to_no_cache_and_a_local_limit(
    redis_server: LocalRedis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    loop: LoopThread,
) -> None:
    upstream = FakeOpenAI("primary")
    up = loop.serve(upstream.app)
    monkeypatch.setenv("ROUTER_REDIS_URL", redis_server.url)
    plaintext, key = new_key("app", rate_limit_rpm=8)
    cfg = configs.config(
        {"primary": configs.target(up.url, ("public",))},
        [{"name": "default", "targets": ["primary"]}],
        keys=[key.model_dump(exclude_defaults=True)],
        cache={"exact": {"enabled": True}},
        state={
            "backend": "redis",
            "url": {"store": "env", "name": "ROUTER_REDIS_URL"},
            "retry_s": 0.2,
            "degraded_share": 0.25,  # 8/min shared becomes 2/min per replica
        },
    )
    router = loop.serve(create_app(cfg)).url

    def ask() -> tuple[int, str]:
        response = httpx.post(
            f"{router}/v1/chat/completions",
            json=configs.chat("cache me"),
            headers={"authorization": f"Bearer {plaintext}"},
        )
        return response.status_code, response.headers.get("x-inferplane-cache", "-")

    assert [ask(), ask()] == [(200, "miss"), (200, "hit")]
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="inferplane.router"):
        during = [ask(), ask(), ask()]
        time.sleep(0.25)  # a probe after retry_s finds it still down: no second line
        during.append(ask())
    outage = [r.getMessage() for r in caplog.records]
    assert during == [(200, "miss"), (200, "miss"), (429, "-"), (429, "-")]
    assert len(outage) == 1
    assert outage[0].startswith("state store unreachable (redis: ConnectionError")
    assert len(upstream.requests) == 3  # the cache was skipped, not served stale or failed

    caplog.clear()
    redis_server.start()  # same port, no persistence: an empty store
    time.sleep(0.25)
    with caplog.at_level(logging.WARNING, logger="inferplane.router"):
        after = [ask(), ask()]
    assert after == [(200, "miss"), (200, "hit")]
    back = [r.getMessage() for r in caplog.records]
    assert len(back) == 1
    assert back[0].startswith("state store reachable again after ")


def test_redis_down_from_the_start_is_no_500(
    redis_server: LocalRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_server.stop()
    monkeypatch.setenv("ROUTER_REDIS_URL", redis_server.url)
    cfg = configs.config(
        {"t": configs.target("http://127.0.0.1:9", ("confidential",))},
        [{"name": "default", "targets": ["t"]}],
        cache={"exact": {"enabled": True}},
        state={"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}},
    )

    async def scenario() -> list[int]:
        gateway = Gateway(cfg)
        statuses = []
        for _ in range(3):
            request = Request(
                "POST",
                "/v1/chat/completions",
                configs.auth(KEY_CONFIDENTIAL),
                orjson.dumps(configs.chat()),
            )
            statuses.append((await gateway.handle(request)).status)
        await gateway.close()
        return statuses

    # The target is down (503) for the first; the key's 3/min becomes 1/min in process.
    assert asyncio.run(scenario()) == [503, 429, 429]
