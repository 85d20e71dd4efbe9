"""The semantic cache's parts: the sketch-filtered index finds what brute force finds, the
ring and the logs stay within their bounds, the hashing embedder is the same in every
process, and the config names only what exists."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from inferplane.router.embedder import hashing_embedder
from inferplane.router.semantic.index import EXACT_ROWS, VectorIndex
from inferplane.router.semantic.shared import START, MemoryLog
from tests.router import configs
from tests.router.configs import target


def _unit(rows: int, dimensions: int, seed: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    vectors = np.random.default_rng(seed).standard_normal((rows, dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _near(vector: np.ndarray[Any, Any], noise: float, seed: int) -> np.ndarray[Any, Any]:
    moved = vector + noise * np.random.default_rng(seed).standard_normal(len(vector))
    return (moved / np.linalg.norm(moved)).astype(np.float32)


def _ref(found: tuple[str, float] | None) -> str | None:
    """The reference of a hit whose similarity is 1 (the stored vector itself)."""
    if found is None:
        return None
    assert found[1] == pytest.approx(1.0, abs=1e-5)
    return found[0]


def test_the_sketch_filter_finds_what_brute_force_finds() -> None:
    """Above EXACT_ROWS only entries whose sketch is close are scored: for near queries
    at and just above the threshold, the answer is the brute-force answer."""
    rows, threshold = 20_000, 0.9
    vectors = _unit(rows, 384, seed=1)
    index = VectorIndex(384, rows, threshold)
    for row, vector in enumerate(vectors):
        index.add(vector, f"r{row}", expires=100.0)
    assert len(index) == rows > EXACT_ROWS
    agreed = 0
    for trial in range(200):
        row = (trial * 97) % rows
        query = _near(vectors[row], noise=0.02 + 0.0002 * trial, seed=trial)
        scores = vectors @ query
        expected = f"r{int(np.argmax(scores))}" if scores.max() >= threshold else None
        found = index.best(query, now=0.0)
        agreed += (found[0] if found else None) == expected
    assert agreed == 200
    assert index.best(_unit(1, 384, seed=99)[0], now=0.0) is None  # unrelated: nothing


def test_expired_and_forgotten_entries_are_not_served() -> None:
    vectors = _unit(3, 16, seed=2)
    index = VectorIndex(16, 10, 0.99)
    index.add(vectors[0], "old", expires=5.0)
    index.add(vectors[1], "gone", expires=50.0)
    assert _ref(index.best(vectors[0], now=1.0)) == "old"
    assert index.best(vectors[0], now=5.0) is None
    index.forget("gone")
    assert index.best(vectors[1], now=1.0) is None


def test_the_ring_keeps_the_newest_entries_within_its_capacity() -> None:
    index = VectorIndex(256, 100, 0.99)
    for number in range(150):
        vector = hashing_embedder(f"question number {number} about topic {number * 7}")
        index.add(np.asarray(vector, dtype=np.float32), str(number), expires=10.0)
    recent = np.asarray(hashing_embedder("question number 149 about topic 1043"), np.float32)
    evicted = np.asarray(hashing_embedder("question number 3 about topic 21"), np.float32)
    assert len(index) == 100
    assert _ref(index.best(recent, now=0.0)) == "149"
    assert index.best(evicted, now=0.0) is None


def test_the_memory_log_bounds_each_partition_and_all_together() -> None:
    async def run() -> tuple[list[str], list[int], list[bytes | None]]:
        log = MemoryLog(total=10, clock=lambda: 1000.0)
        for number in range(5):
            await log.add("one", b"v", str(number).encode(), ttl_s=60, max_entries=3)
        kept = [e.ref for e in await log.read("one", START, 100)]
        answers = [await log.answer("one", ref) for ref in kept]
        for partition in range(6):  # 2 entries each: 12 > 10, the oldest partitions go
            for _ in range(2):
                await log.add(f"p{partition}", b"v", b"x", ttl_s=60, max_entries=3)
        sizes = [len(await log.read(p, START, 100)) for p in ("one", "p0", "p1", "p5")]
        return kept, sizes, answers

    kept, sizes, answers = asyncio.run(run())
    assert len(kept) == 3
    assert answers == [b"2", b"3", b"4"]
    assert sizes == [0, 0, 2, 2]


def test_a_read_after_a_position_returns_only_newer_entries() -> None:
    async def run() -> list[bytes]:
        log = MemoryLog(total=10)
        await log.add("p", b"1", b"a", ttl_s=60, max_entries=5)
        first = await log.read("p", START, 10)
        await log.add("p", b"2", b"b", ttl_s=60, max_entries=5)
        return [e.vector for e in await log.read("p", first[-1].id, 10)]

    assert asyncio.run(run()) == [b"2"]


def test_the_hashing_embedder_is_the_same_in_another_process() -> None:
    """Python's ``hash`` is salted per process; vectors shared through Redis must not be."""
    code = (
        "from inferplane.router.embedder import hashing_embedder; "
        "print(repr(hashing_embedder('how do I reset my password')))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert other.strip() == repr(hashing_embedder("how do I reset my password"))


@pytest.mark.parametrize(
    ("semantic", "message"),
    [
        ({"embedder": "target:nope"}, "cache.semantic.embedder names unknown target 'nope'"),
        ({"routes": ["default", "faq"]}, "cache.semantic.routes names unknown routes ['faq']"),
        ({"embedder": "openai"}, "String should match pattern"),
    ],
)
def test_the_config_names_only_what_exists(semantic: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        configs.config(
            {"primary": target("http://127.0.0.1:9", ("public",))},
            [{"name": "default", "targets": ["primary"]}],
            cache={"semantic": {"enabled": True, **semantic}},
        )


def test_a_target_that_cannot_embed_is_refused_at_start() -> None:
    from inferplane.router.core import Gateway
    from inferplane.router.errors import ConfigError

    anthropic = {
        "backend": "anthropic",
        "model": "claude",
        "url": "http://127.0.0.1:9",
        "location": "cloud:aws:us-east-1",
        "allowed_data_classes": ["public"],
    }
    config = configs.config(
        {"primary": target("http://127.0.0.1:9", ("public",)), "claude": anthropic},
        [{"name": "default", "targets": ["primary"]}],
        cache={"semantic": {"enabled": True, "embedder": "target:claude"}},
    )
    with pytest.raises(ConfigError, match="backend 'anthropic' with model 'claude' cannot"):
        Gateway(config)
