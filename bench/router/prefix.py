"""Prefix-aware replica choice against round robin, on a synthetic multi-turn workload.

    python -m bench.router.prefix [--conversations 64] [--turns 8] [--concurrency 16]
                                  [--replicas 4] [--rounds 3] [--json]

One process, one event loop, everything on 127.0.0.1: ``--replicas`` fake engine replicas
(``bench/router/prefix_engine.py``: an LRU of prompt blocks per replica, time to first
token proportional to the uncached prefix, limited concurrency), the router
(``router.app.create_app``) with one target whose replicas are those engines, and the
client. Each conversation starts from one of a few shared system prompts, and every turn
sends the whole conversation so far plus a new user message (the answer joins the
conversation): each turn extends its prefix. ``--concurrency`` conversations run at once,
turns one after another within a conversation. The same workload (same seed) runs with
``policy: round_robin`` and ``policy: prefix``, in interleaved rounds with fresh engines;
TTFT (client-side, to the first streamed byte) is pooled over rounds, throughput is the
median round's. A request that fails counts and is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import string
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bench.router.prefix_engine import EngineModel, serve_replicas
from inferplane.router.app import create_app
from inferplane.router.config import RouterConfig

POLICIES = ("round_robin", "prefix")


@dataclass(frozen=True)
class Workload:
    conversations: int = 64
    turns: int = 8
    concurrency: int = 16
    system_prompts: int = 4
    system_chars: int = 768
    user_chars: int = 384
    seed: int = 16


@dataclass
class RunResult:
    policy: str
    ttft_s: list[float] = field(default_factory=list)
    requests: int = 0
    failed: int = 0
    seconds: float = 0.0
    blocks: int = 0
    hit_blocks: int = 0
    per_replica: list[int] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_rate(self) -> float:
        return self.hit_blocks / self.blocks if self.blocks else 0.0


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:chars]


def conversations(workload: Workload) -> list[tuple[str, list[str]]]:
    """(system prompt, user turns) per conversation, the same for every policy."""
    rng = random.Random(workload.seed)
    systems = [_text(rng, workload.system_chars) for _ in range(workload.system_prompts)]
    return [
        (rng.choice(systems), [_text(rng, workload.user_chars) for _ in range(workload.turns)])
        for _ in range(workload.conversations)
    ]


def router_config(urls: list[str], policy: str, load_factor: float = 1.25) -> RouterConfig:
    return RouterConfig.model_validate(
        {
            "stack": "bench-prefix",
            "environment": "dev",
            "default_data_class": "public",
            "data_classes": {"public": {"placement": "any", "rank": 0}},
            "targets": {
                "pool": {
                    "backend": "openai",
                    "model": "m",
                    "url": urls[0],
                    "location": "cloud:aws:eu-central-1",
                    "allowed_data_classes": ["public"],
                    "replicas": {"urls": urls, "policy": policy, "load_factor": load_factor},
                }
            },
            "routes": [{"name": "default", "targets": ["pool"]}],
            "auth_required": False,
            "access_log": False,
            "cache": {"exact": {"enabled": False}},
            "limits": {"anonymous_rpm_per_client": None},
        }
    )


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def _turns(
    session: aiohttp.ClientSession,
    url: str,
    system: str,
    users: list[str],
    result: RunResult,
) -> None:
    messages: list[dict[str, str]] = [{"role": "system", "content": system}]
    for user in users:
        messages.append({"role": "user", "content": user})
        body = {"model": "default", "messages": messages, "stream": True}
        started = time.perf_counter()
        first: float | None = None
        chunks: list[bytes] = []
        async with session.post(f"{url}/v1/chat/completions", data=orjson.dumps(body)) as resp:
            async for data in resp.content.iter_any():
                if first is None:
                    first = time.perf_counter() - started
                chunks.append(data)
        raw = b"".join(chunks)
        if resp.status != 200 or first is None or not raw.endswith(b"data: [DONE]\n\n"):
            result.failed += 1
            return
        result.ttft_s.append(first)
        result.requests += 1
        messages.append({"role": "assistant", "content": _content(raw)})


def _content(raw: bytes) -> str:
    parts: list[str] = []
    for event in raw.split(b"\n\n"):
        if event.startswith(b"data: {"):
            choices = orjson.loads(event[6:]).get("choices") or []
            parts += [c["delta"].get("content") or "" for c in choices]
    return "".join(parts)


async def run_policy(
    policy: str, workload: Workload, engine: EngineModel, replicas: int, load_factor: float = 1.25
) -> RunResult:
    """One run of the whole workload through the router with ``policy``: fresh engines in
    a child process, the router and the client in this one."""
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve_replicas, args=(engine, replicas, child), daemon=True
    )
    process.start()
    loop = asyncio.get_running_loop()
    result = RunResult(policy)
    try:
        urls: list[str] = await loop.run_in_executor(None, parent.recv)
        router_runner, router_url = await _serve(
            create_app(router_config(urls, policy, load_factor))
        )
        try:
            await _drive(router_url, workload, result)
        finally:
            await router_runner.cleanup()
        parent.send("stop")
        stats: list[tuple[int, int, int]] = await loop.run_in_executor(None, parent.recv)
    finally:
        await loop.run_in_executor(None, process.join, 10)
        if process.is_alive():
            process.kill()
    result.blocks = sum(s[0] for s in stats)
    result.hit_blocks = sum(s[1] for s in stats)
    result.per_replica = [s[2] for s in stats]
    return result


async def _drive(router_url: str, workload: Workload, result: RunResult) -> None:
    """``workload.concurrency`` clients, each taking the next conversation when done."""
    queue: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
    for conversation in conversations(workload):
        queue.put_nowait(conversation)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def worker() -> None:
            while not queue.empty():
                system, users = queue.get_nowait()
                await _turns(session, router_url, system, users, result)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workload.concurrency)))
        result.seconds = time.perf_counter() - started


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Summary:
    policy: str
    ttft_p50_ms: float
    ttft_p95_ms: float
    throughput_rps: float
    hit_rate: float
    requests: int
    failed: int
    per_replica: list[int]


def summarise(runs: list[RunResult]) -> Summary:
    ttft = [t for run in runs for t in run.ttft_s]
    return Summary(
        policy=runs[0].policy,
        ttft_p50_ms=_quantile(ttft, 0.5) * 1000,
        ttft_p95_ms=_quantile(ttft, 0.95) * 1000,
        throughput_rps=statistics.median(run.throughput for run in runs),
        hit_rate=sum(r.hit_blocks for r in runs) / max(1, sum(r.blocks for r in runs)),
        requests=sum(r.requests for r in runs),
        failed=sum(r.failed for r in runs),
        per_replica=[sum(col) for col in zip(*(r.per_replica for r in runs), strict=True)],
    )


async def compare(
    workload: Workload, engine: EngineModel, replicas: int, rounds: int, load_factor: float = 1.25
) -> dict[str, Summary]:
    """Both policies, ``rounds`` times each, alternating which goes first."""
    runs: dict[str, list[RunResult]] = {p: [] for p in POLICIES}
    for index in range(rounds):
        order = POLICIES if index % 2 == 0 else POLICIES[::-1]
        for policy in order:
            runs[policy].append(await run_policy(policy, workload, engine, replicas, load_factor))
    return {policy: summarise(found) for policy, found in runs.items()}


def report(summaries: dict[str, Summary]) -> dict[str, Any]:
    rr, prefix = summaries["round_robin"], summaries["prefix"]
    return {
        "round_robin": vars(rr),
        "prefix": vars(prefix),
        "ratios_prefix_over_round_robin": {
            "ttft_p50": prefix.ttft_p50_ms / rr.ttft_p50_ms if rr.ttft_p50_ms else None,
            "ttft_p95": prefix.ttft_p95_ms / rr.ttft_p95_ms if rr.ttft_p95_ms else None,
            "throughput": prefix.throughput_rps / rr.throughput_rps if rr.throughput_rps else None,
        },
    }


def _table(document: dict[str, Any]) -> str:
    lines = [
        "| policy | TTFT p50 ms | TTFT p95 ms | req/s | prefix-cache hit rate | requests "
        "| failed | requests per replica |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for policy in POLICIES:
        s = document[policy]
        lines.append(
            f"| {policy} | {s['ttft_p50_ms']:.1f} | {s['ttft_p95_ms']:.1f} | "
            f"{s['throughput_rps']:.1f} | {s['hit_rate']:.1%} | {s['requests']} | "
            f"{s['failed']} | {s['per_replica']} |"
        )
    r = document["ratios_prefix_over_round_robin"]
    lines.append("")
    lines.append(
        f"prefix / round robin: TTFT p50 {r['ttft_p50']:.2f}x, TTFT p95 {r['ttft_p95']:.2f}x, "
        f"throughput {r['throughput']:.2f}x"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.router.prefix", description=__doc__)
    parser.add_argument("--conversations", type=int, default=Workload.conversations)
    parser.add_argument("--turns", type=int, default=Workload.turns)
    parser.add_argument("--concurrency", type=int, default=Workload.concurrency)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-blocks", type=int, default=EngineModel.cache_blocks)
    parser.add_argument("--engine-concurrency", type=int, default=EngineModel.concurrency)
    parser.add_argument("--load-factor", type=float, default=1.25)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    workload = Workload(
        conversations=args.conversations, turns=args.turns, concurrency=args.concurrency
    )
    engine = EngineModel(cache_blocks=args.cache_blocks, concurrency=args.engine_concurrency)
    summaries = asyncio.run(compare(workload, engine, args.replicas, args.rounds, args.load_factor))
    document = report(summaries)
    print(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() if args.json else "")
    if not args.json:
        print(_table(document))


if __name__ == "__main__":
    main()
