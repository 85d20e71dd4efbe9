"""Prefix-aware replica choice (issue 16): requests sharing a long prefix reach the replica
that served it, within the load bound; replicas from a list or a headless Service's DNS
records; the benchmark runs at tiny size and prefix routing hits the engines' prefix
caches more often than round robin."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bench.router import prefix as bench
from bench.router.prefix_engine import EngineModel
from router.app import create_app
from router.config import ReplicaConfig, TargetConfig
from router.prefix import PrefixIndex, block_hashes, prompt_text
from router.replicas import ReplicaSet
from tests.router import configs
from tests.router.configs import auth, target
from tests.router.fakes import FakeOpenAI, LoopThread

SYSTEM = "You are a careful assistant for the accounts team. " * 8


def _hashes(*messages: tuple[str, str], block: int = 32) -> list[bytes]:
    body = {"messages": [{"role": r, "content": c} for r, c in messages]}
    return block_hashes(prompt_text(body), block)


def test_block_hashes_chain_over_the_prefix() -> None:
    one = _hashes(("system", SYSTEM), ("user", "a" * 64))
    two = _hashes(("system", SYSTEM), ("user", "a" * 64), ("assistant", "b" * 64))
    other = _hashes(("system", "X" + SYSTEM[1:]), ("user", "a" * 64))
    assert two[: len(one)] == one  # a longer conversation extends the same chain
    assert not set(other) & set(one)  # one different leading char changes every block
    assert len(block_hashes("x" * 95, 32)) == 2  # a partial block is not cached
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    assert prompt_text(parts) == "user\x1ehi\x1f"


def test_the_longest_prefix_wins_within_the_load_bound() -> None:
    index = PrefixIndex(max_blocks=1000, load_factor=1.25)
    replicas = ["a", "b", "c"]
    base = _hashes(("system", SYSTEM), ("user", "q" * 96))
    index.record(base[:3], "a")
    index.record(base, "b")
    assert index.depths(base, replicas) == {"a": 3, "b": len(base), "c": 0}
    assert index.choose(base, replicas, {}) == ("b", len(base))
    # b is over the bound, ceil(1.25 * (4 + 1) / 3) = 3 in flight: a holds the most left
    assert index.choose(base, replicas, {"b": 3, "a": 1}) == ("a", 3)
    # a and b over the bound: c, the least loaded, takes it (and now holds it all)
    assert index.choose(base, replicas, {"b": 3, "a": 3}) == ("c", 0)
    assert index.depths(base, replicas) == dict.fromkeys(replicas, len(base))
    assert index.choose(base, replicas, {"b": 2, "a": 1, "c": 0}) == ("c", len(base))


def test_the_index_is_bounded_and_forgets_gone_replicas() -> None:
    index = PrefixIndex(max_blocks=4, load_factor=1.25)
    hashes = _hashes(("user", "z" * 320))
    index.record(hashes, "a")
    assert len(index) == 4
    assert index.depths(hashes, ["a"]) == {"a": 0}  # the leading blocks were dropped
    index.record(hashes[:2], "b")
    index.forget("b")
    assert index.depths(hashes[:2], ["a", "b"]) == {"a": 0, "b": 0}
    index.record(hashes[:2], "a")
    index.record(hashes[:1], "b")
    index.forget("b")
    assert index.depths(hashes[:2], ["a", "b"]) == {"a": 2, "b": 0}


def test_replicas_from_dns_records(loop: LoopThread) -> None:
    answers: list[list[str]] = [["10.0.0.2", "10.0.0.1"], [], ["fd00::7"]]

    async def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("gpu-replicas.inference.svc.cluster.local", 8000)
        found = answers.pop(0)
        if not found:
            raise OSError("Name or service not known")
        return found

    config = ReplicaConfig(dns="gpu-replicas.inference.svc.cluster.local")
    replicas = ReplicaSet("gpu", config, "http://gpu.inference:8000/v1", resolver)

    async def scenario() -> list[Any]:
        await replicas.refresh()
        seen: list[Any] = [list(replicas.urls)]
        await replicas.refresh()  # no records (scaled to zero): the Service URL
        seen.append(await replicas.pick({"messages": []}))
        replicas._resolved_at = -10.0  # let the on-demand resolution run
        seen.append(await replicas.pick({"messages": []}))
        return seen

    assert loop.run(scenario()) == [
        ["http://10.0.0.2:8000/v1", "http://10.0.0.1:8000/v1"],
        "http://gpu.inference:8000/v1",
        "http://[fd00::7]:8000/v1",
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "give either urls or dns"),
        ({"urls": ["http://a/v1"], "dns": "a.b"}, "give either urls or dns"),
        ({"urls": ["ftp://a/v1"]}, "allowed: http:// or https://"),
        ({"dns": "bad name; rm"}, "should match pattern"),
    ],
)
def test_replica_config_is_checked(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReplicaConfig.model_validate(document)


def test_conversations_stick_to_a_replica_through_the_router(loop: LoopThread) -> None:
    fakes = [FakeOpenAI(f"r{i}") for i in range(3)]
    served = [loop.serve(f.app) for f in fakes]
    urls = [f"{s.url}/v1" for s in served]
    pool = target(served[0].url, ("public",), replicas={"urls": urls, "block_chars": 32})
    TargetConfig.model_validate(pool)
    cfg = configs.config({"pool": pool}, [{"name": "default", "targets": ["pool"]}])
    url = loop.serve(create_app(cfg)).url
    conversations = [f"conversation {n}: " + "context " * 40 for n in range(6)]
    for turn in range(3):
        for text in conversations:
            messages = [{"role": "user", "content": text}]
            messages += [{"role": "user", "content": f"turn {t}"} for t in range(turn)]
            body = {"model": "default", "messages": messages}
            answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=auth())
            assert answer.status_code == 200, answer.text
    where = {
        text: {f.name for f in fakes for r in f.requests if r["messages"][0]["content"] == text}
        for text in conversations
    }
    assert all(len(replicas) == 1 for replicas in where.values()), where
    assert len(set().union(*where.values())) > 1  # not all on one replica
    assert sorted(len(f.requests) for f in fakes) != [0, 0, 18]


def test_the_benchmark_runs_tiny_and_prefix_routing_hits_the_cache_more() -> None:
    workload = bench.Workload(
        conversations=8, turns=3, concurrency=4, system_chars=256, user_chars=192
    )
    engine = EngineModel(
        cache_blocks=48, base_ms=0.2, prefill_ms_per_block=0.05, decode_ms_per_token=0.05
    )
    summaries = asyncio.run(bench.compare(workload, engine, replicas=3, rounds=1))
    rr, prefix = summaries["round_robin"], summaries["prefix"]
    assert (rr.requests, rr.failed, prefix.requests, prefix.failed) == (24, 0, 24, 0)
    assert prefix.hit_rate > rr.hit_rate
    document = bench.report(summaries)
    assert set(document["ratios_prefix_over_round_robin"]) == {"ttft_p50", "ttft_p95", "throughput"}
