"""The core path in process: ``Gateway.handle`` with an instant, canned target (no
network, no HTTP server), so only the router's own work is timed or profiled.

    python -m bench.router.core [--requests 5000] [--profile chat-json] [--chunks 20]

Prints CPU µs per request for chat completions, /v1/messages and /v1/responses, JSON and
streamed, each API's ratio to chat completions, and, with ``--profile NAME``, the top of
a cProfile of that case. Same config as ``python -m bench.router`` (auth, rate limit, PII
scan, exact cache lookup and store, metrics, access log into a discarding sink).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import AsyncIterator
from itertools import count
from typing import Any

import orjson

from bench.router.upstream import ANSWER, make_chunks
from bench.router.workload import KEY, PROMPT, router_config
from inferplane.router.accesslog import AccessLog
from inferplane.router.backends import ChatBackend, Completion, Usage
from inferplane.router.backends.openai_compat import usage_of
from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway, Request

__all__ = ["main"]

SORT = "tottime"
CASES = ("chat", "messages", "responses")
_serial = count()


class CannedTarget(ChatBackend):
    """Answers at once with the bench upstream's answer or stream (the usage parse of the
    real OpenAI adapter included)."""

    kind = "openai"
    bounds_total = True  # as the HTTP adapters: the core sets no timer of its own

    def __init__(self, chunks: int) -> None:  # no super(): no session, no credentials
        self.name = "mock"
        self.blocks = make_chunks(chunks)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def complete(self, body: dict[str, Any]) -> Completion:
        return Completion(ANSWER, usage_of(orjson.loads(ANSWER)))

    def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        return self._stream(usage)

    async def _stream(self, usage: Usage) -> AsyncIterator[bytes]:
        usage.prompt_tokens, usage.completion_tokens = 40, 20
        for block in self.blocks:
            yield block


def request(api: str, stream: bool) -> Request:
    prompt = PROMPT.format(n=next(_serial))
    body: dict[str, Any]
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    if api == "chat":
        path = "/v1/chat/completions"
        body = {"model": "default", "messages": [{"role": "user", "content": prompt}]}
    elif api == "messages":
        path = "/v1/messages"
        messages = [{"role": "user", "content": prompt}]
        body = {"model": "default", "max_tokens": 256, "messages": messages}
        headers = {"x-api-key": KEY, "content-type": "application/json"}
    else:
        path = "/v1/responses"
        body = {"model": "default", "input": prompt}
    if stream:
        body["stream"] = True
    return Request("POST", path, headers, orjson.dumps(body), "127.0.0.1")


async def run(gateway: Gateway, api: str, stream: bool, n: int) -> float:
    """CPU seconds per request over ``n`` requests (bodies built beforehand)."""
    requests = [request(api, stream) for _ in range(n)]
    began = time.process_time()
    for each in requests:
        response = await gateway.handle(each)
        if response.stream is not None:
            async for _ in response.stream:
                pass
        if response.status != 200:
            raise RuntimeError(f"{api}: {response.status} {response.body!r}")
    return (time.process_time() - began) / n


def gateway(chunks: int) -> Gateway:
    config = RouterConfig.model_validate(router_config(9))
    gw = Gateway(config, access_log=AccessLog(io.BytesIO()))
    gw.backends["mock"] = CannedTarget(chunks)
    return gw


async def measure(n: int, chunks: int, rounds: int) -> dict[str, float]:
    gw = gateway(chunks)
    await gw.start()
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for stream in (False, True):
            for api in CASES:
                key = f"{api}-{'stream' if stream else 'json'}"
                samples.setdefault(key, []).append(await run(gw, api, stream, n))
    await gw.close()
    return {key: sorted(values)[len(values) // 2] for key, values in samples.items()}


def profile(case: str, n: int, chunks: int) -> str:
    api, mode = case.split("-")

    async def go() -> None:
        gw = gateway(chunks)
        await gw.start()
        await run(gw, api, mode == "stream", 200)  # warm
        profiler.enable()
        await run(gw, api, mode == "stream", n)
        profiler.disable()
        await gw.close()

    profiler = cProfile.Profile()
    asyncio.run(go())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(45)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router.core")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=20)
    cases = [f"{api}-{mode}" for api in CASES for mode in ("json", "stream")]
    parser.add_argument("--profile", choices=cases)
    args = parser.parse_args()
    if args.profile:
        print(profile(args.profile, args.requests, args.chunks))
        return 0
    medians = asyncio.run(measure(args.requests, args.chunks, args.rounds))
    print("| case | core CPU µs/req | ratio to chat |")
    print("|---|---|---|")
    for mode in ("json", "stream"):
        chat = medians[f"chat-{mode}"]
        for api in CASES:
            value = medians[f"{api}-{mode}"]
            print(f"| {api} {mode} | {value * 1e6:.1f} | {value / chat:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
