"""Semantic-cache lookup over 100,000 cached entries, without the embedding call.

    python -m bench.router.semantic                      # index in memory, and via Redis
    python -m bench.router.semantic --entries 100000 --dims 1536 --no-redis

Fills one partition (the worst case: every entry of a tenant, data class, route and
conversation in one place) with random unit vectors and asks for queries of which half
are near a stored entry (hits) and half are new (misses). Prints p50/p99/max of:

- **index**: ``VectorIndex.best`` (the sketch filter and the exact rerank), in memory;
- **brute force**: the product of every stored vector with the query, the reference the
  sketch filter avoids, and the ratio of the two;
- **spin**: a busy loop of the index's median CPU time, timed the same way: the share of
  its wall p99 above its CPU time is what being descheduled costs on this host, for any
  work of that length;
- **shared** (with ``redis-server`` installed): ``SemanticCache.find`` as a request runs it
  against a real redis-server on loopback, i.e. the index plus one XRANGE (the replica's
  copy catching up, empty once it has) and, on a hit, one GET of the answer.

Timings move with the machine's load; the ratio and the p99 against the 2 ms target are
what to read. Not a unit test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from inferplane.router.config import RouterConfig
from inferplane.router.pipeline.accounting import Accounting
from inferplane.router.semantic.cache import SYNC_BATCH, SemanticCache, partition_id
from inferplane.router.semantic.embedders import Embedding
from inferplane.router.semantic.index import VectorIndex

THRESHOLD = 0.92
Vectors = np.ndarray[Any, np.dtype[np.float32]]


def unit_vectors(rows: int, dims: int, seed: int) -> Vectors:
    vectors = np.random.default_rng(seed).standard_normal((rows, dims)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def queries(stored: Vectors, count: int) -> list[Vectors]:
    """Half near a stored entry (cosine ~0.99: hits), half new vectors (misses)."""
    rng = np.random.default_rng(7)
    near = stored[rng.integers(0, len(stored), count // 2)]
    near = near + 0.004 * rng.standard_normal(near.shape).astype(np.float32)
    new = unit_vectors(count - count // 2, stored.shape[1], seed=8)
    mixed = np.concatenate((near / np.linalg.norm(near, axis=1, keepdims=True), new))
    return list(mixed[rng.permutation(len(mixed))])


Row = tuple[float, float, float, float, int]
"""Wall p50, wall p99, CPU p50, CPU p99 (ms) and how many lookups found an entry."""


def summary(wall: list[float], cpu: list[float], found: int) -> Row:
    return (*_p50_p99(wall), *_p50_p99(cpu), found)


def _p50_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e3, p99 * 1e3


def timed(
    fn: Callable[[Vectors], object], asked: list[Vectors]
) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds per call (CPU of the whole process: time another process took
    from this one on a loaded machine is in the wall time only), and how many found one."""
    wall, cpu, found = [], [], 0
    for query in asked:
        started, used = time.perf_counter(), time.process_time()
        result = fn(query)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        found += result is not None
    return wall, cpu, found


def bench_index(stored: Vectors, asked: list[Vectors]) -> dict[str, Row]:
    index = VectorIndex(stored.shape[1], len(stored), THRESHOLD)
    for row, vector in enumerate(stored):
        index.add(vector, str(row), expires=float("inf"))
    timed(lambda q: index.best(q, 0.0), asked[:50])  # warm up
    fast = timed(lambda q: index.best(q, 0.0), asked)

    def brute(query: Vectors) -> object:
        scores = stored @ query
        best = int(np.argmax(scores))
        return best if scores[best] >= THRESHOLD else None

    slow = timed(brute, asked[: max(50, len(asked) // 10)])
    # The host's floor: a spin of the index's median CPU time, timed the same way; its
    # wall p99 is what being descheduled costs on a loaded host, whatever the work.
    work = statistics.median(fast[1])
    floor = timed(lambda q: spin(work), asked)
    return {"index": summary(*fast), "brute force": summary(*slow), "spin": summary(*floor)}


def spin(cpu_seconds: float) -> None:
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


async def bench_shared(stored: Vectors, asked: list[Vectors], url: str) -> Row:
    os.environ["BENCH_SEMANTIC_REDIS"] = url
    config = RouterConfig.model_validate(
        {
            "stack": "bench",
            "environment": "dev",
            "default_data_class": "public",
            "data_classes": {"public": {"placement": "any", "rank": 0}},
            "targets": {},
            "routes": [],
            "auth_required": False,
            "state": {
                "backend": "redis",
                "url": {"store": "env", "name": "BENCH_SEMANTIC_REDIS"},
                "timeout_s": 5,
            },
            "cache": {
                "semantic": {"enabled": True, "threshold": THRESHOLD, "max_entries": len(stored)}
            },
        }
    )
    cache = SemanticCache(config, {}, Accounting(config), lambda ref: os.environ[ref.name])
    partition = partition_id("bench", "bench")
    answer = b'{"choices":[]}'
    for start in range(0, len(stored), 32):
        chunk = stored[start : start + 32]
        await asyncio.gather(
            *(cache.log.add(partition, v.tobytes(), answer, 3600, len(stored)) for v in chunk)
        )
    for _ in range(len(stored) // SYNC_BATCH + 2):  # this replica's copy catches up
        await cache.find(partition, Embedding(asked[0]))
    wall, cpu, hits = [], [], 0
    for query in asked:
        started, used = time.perf_counter(), time.process_time()
        found, _ = await cache.find(partition, Embedding(query))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
        hits += found is not None
    await cache.close()
    return summary(wall, cpu, hits)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args(argv)
    stored = unit_vectors(args.entries, args.dims, seed=1)
    asked = queries(stored, args.queries)
    print(f"{args.entries} entries x {args.dims} dims, {args.queries} lookups, half hits")
    rows = bench_index(stored, asked)
    if not args.no_redis:
        from inferplane.smoke.redis import LocalRedis

        with LocalRedis() as redis:
            rows["shared (redis)"] = asyncio.run(bench_shared(stored, asked, redis.url))
    heads = ("wall p50", "wall p99", "CPU p50", "CPU p99")
    print(f"{'lookup (ms)':<16}" + "".join(f"{h:>10}" for h in heads) + f"{'found':>8}")
    for name, (*times, found) in rows.items():
        print(f"{name:<16}" + "".join(f"{t:>10.3f}" for t in times) + f"{found:>8}")
    fast, slow = rows["index"], rows["brute force"]
    print(
        f"index vs brute force: p50 {slow[0] / fast[0]:.0f}x, CPU p99 {slow[3] / fast[3]:.0f}x "
        "faster; target: p99 < 2 ms"
    )


if __name__ == "__main__":
    main()
