"""CPU per request of the translated APIs against chat completions, in one router process.

    python -m bench.router.apis [--requests 2000] [--rounds 5] [--chunks 20]

The mock upstream and the router (``python -m router``, the config of ``bench.router``:
auth, rate limit, PII scan, exact cache, metrics, access log) run as processes; this
process is the client (16 concurrent aiohttp requests, a new prompt each time, so no cache
hit). For each API and mode, the router's CPU (utime+stime from /proc) over a batch is
divided by the requests; chat, /v1/messages and /v1/responses batches are interleaved for
``--rounds`` rounds and the median is kept, so load from elsewhere hits each alike. The
target (issue 15): messages and responses within 1.2x of chat completions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.router.processes import cpu_seconds, free_port, start, stop
from bench.router.workload import KEY, PROMPT, router_config

APIS = ("chat", "messages", "responses")
_serial = count()


def request(api: str, stream: bool) -> tuple[str, bytes, dict[str, str]]:
    prompt = PROMPT.format(n=next(_serial))
    body: dict[str, Any]
    if api == "chat":
        path = "/v1/chat/completions"
        body = {"model": "default", "messages": [{"role": "user", "content": prompt}]}
        headers = {"authorization": f"Bearer {KEY}"}
    elif api == "messages":
        path = "/v1/messages"
        body = {
            "model": "default",
            "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}],
        }
        headers = {"x-api-key": KEY}
    else:
        path = "/v1/responses"
        body = {"model": "default", "input": prompt}
        headers = {"authorization": f"Bearer {KEY}"}
    if stream:
        body["stream"] = True
    return path, orjson.dumps(body), {**headers, "content-type": "application/json"}


async def batch(session: aiohttp.ClientSession, url: str, api: str, stream: bool, n: int) -> None:
    remaining = iter(range(n))

    async def worker() -> None:
        for _ in remaining:
            path, data, headers = request(api, stream)
            async with session.post(url + path, data=data, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{api}: {response.status} {await response.text()}")

    await asyncio.gather(*(worker() for _ in range(16)))


async def measure(url: str, pid: int, n: int, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}
    async with aiohttp.ClientSession() as session:
        for api in APIS:  # warm up every path
            await batch(session, url, api, False, 200)
            await batch(session, url, api, True, 200)
        for _ in range(rounds):
            for stream in (False, True):
                for api in APIS:
                    before = cpu_seconds(pid)
                    await batch(session, url, api, stream, n)
                    key = f"{api} {'stream' if stream else 'json'}"
                    samples.setdefault(key, []).append((cpu_seconds(pid) - before) / n * 1e6)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router.apis")
    parser.add_argument("--requests", type=int, default=2000, help="requests per batch")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=20)
    args = parser.parse_args()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            up = free_port()
            upstream = [sys.executable, "-m", "bench.router.upstream", "--port", str(up)]
            processes.append(start([*upstream, "--chunks", str(args.chunks)], up, "/health"))
            config = Path(tmp) / "router.json"
            config.write_bytes(orjson.dumps(router_config(up)))
            port = free_port()
            command = [sys.executable, "-m", "router", "--config", str(config)]
            router = start([*command, "--port", str(port)], port, "/healthz")
            processes.append(router)
            samples = asyncio.run(
                measure(f"http://127.0.0.1:{port}", router.pid, args.requests, args.rounds)
            )
        finally:
            for process in processes:
                if process.poll() is None:
                    stop(process)
    report(samples)
    return 0


def report(samples: dict[str, list[float]]) -> None:
    medians = {key: statistics.median(values) for key, values in samples.items()}
    print("| API | router CPU µs/req (median of rounds) | ratio to chat |")
    print("|---|---|---|")
    for mode in ("json", "stream"):
        chat = medians[f"chat {mode}"]
        for api in APIS:
            value = medians[f"{api} {mode}"]
            print(f"| {api} {mode} | {value:.0f} | {value / chat:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
