"""Two real router processes share one semantic cache through a real redis-server: an
answer stored through process A is a hit through process B, for a paraphrase (a
deterministic embedding fake), never for another tenant."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import redis

from inferplane.router.auth import new_key
from inferplane.router.semantic.shared import START, LogEntry, RedisLog
from tests.router import configs
from tests.router.configs import PATIENT, target
from tests.router.embedding_fake import PASSWORD, PASSWORD_PARAPHRASE, FakeEmbedder
from tests.router.fakes import FakeOpenAI, LoopThread, free_port
from tests.router.test_workers import _ready, _start


def _config(upstream: str, embedder: str, keys: list[dict[str, object]]) -> str:
    embedding = {
        "backend": "openai",
        "model": "embed-small",
        "url": embedder,
        "location": "cloud:aws:us-east-1",
        "allowed_data_classes": ["public"],
    }
    return configs.config(
        {"primary": target(upstream, ("public",), timeouts=PATIENT), "embedding": embedding},
        [{"name": "default", "targets": ["primary"]}],
        keys=keys,
        state={"backend": "redis", "url": {"store": "env", "name": "ROUTER_REDIS_URL"}},
        cache={
            "exact": {"enabled": False},
            "semantic": {"enabled": True, "embedder": "target:embedding", "threshold": 0.95},
        },
    ).to_json()


def _ask(url: str, key: str, question: str) -> str:
    body = {"model": "default", "messages": [{"role": "user", "content": question}]}
    answer = httpx.post(
        f"{url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.text
    return answer.headers["x-inferplane-cache"]


def test_a_store_through_one_process_is_a_hit_through_the_other(
    loop: LoopThread, redis_url: str, tmp_path: Path
) -> None:
    upstream = FakeOpenAI("primary")
    up = loop.serve(upstream.app)
    a_key, a_entry = new_key("a", data_classes=("public",))
    b_key, b_entry = new_key("b", data_classes=("public",))
    entries = [e.model_dump(exclude_defaults=True) for e in (a_entry, b_entry)]
    processes: list[subprocess.Popen[bytes]] = []
    with FakeEmbedder() as embedder:
        path = tmp_path / "router.json"
        path.write_text(_config(up.url, embedder.url, entries))
        urls = []
        try:
            for _ in range(2):
                port = free_port()
                env = {"ROUTER_REDIS_URL": redis_url}
                processes.append(_start(path, port, env=env))
                urls.append(f"http://127.0.0.1:{port}")
            for url, process in zip(urls, processes, strict=True):
                _ready(url, process)
            first, second = urls
            assert _ask(first, a_key, PASSWORD) == "miss"
            assert _ask(second, a_key, PASSWORD_PARAPHRASE) == "hit"
            assert _ask(second, b_key, PASSWORD) == "miss"  # another tenant
            assert _ask(first, b_key, PASSWORD_PARAPHRASE) == "hit"  # b's own, via A
            # One partition per tenant in Redis: a log of vectors and one answer each.
            with redis.Redis.from_url(redis_url) as client:
                keys = [k.split(b":") for k in client.keys("inferplane:test:sem:*")]
            assert sorted(k[4] for k in keys) == [b"a", b"a", b"v", b"v"]
            assert len({k[3] for k in keys}) == 2
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)
                if process.stderr is not None:
                    process.stderr.close()
    assert [r["messages"][-1]["content"] for r in upstream.requests] == [PASSWORD, PASSWORD]


def test_the_redis_log_reads_in_batches_after_a_position_and_expires(redis_url: str) -> None:
    async def run() -> tuple[list[LogEntry], list[LogEntry], list[bytes | None]]:
        log = RedisLog.from_url(redis_url, "inferplane:t", timeout_s=1.0)
        for number in range(5):
            await log.add("p", bytes([number]) * 4, b"a%d" % number, ttl_s=60, max_entries=100)
        first = await log.read("p", START, 2)
        rest = await log.read("p", first[-1].id, 10)
        answers = [await log.answer("p", entry.ref) for entry in (*first, *rest)]
        await log.close()
        return first, rest, answers

    first, rest, answers = asyncio.run(run())
    assert [e.vector for e in first] == [b"\0" * 4, b"\1" * 4]
    assert [e.vector for e in rest] == [bytes([n]) * 4 for n in (2, 3, 4)]
    assert answers == [b"a0", b"a1", b"a2", b"a3", b"a4"]
    with redis.Redis.from_url(redis_url) as client:
        expiries = [client.ttl(key) for key in client.keys("inferplane:t:sem:p:*")]
    assert len(expiries) == 6  # the log and five answers, each expiring
    assert all(0 < ttl <= 60 for ttl in expiries)
