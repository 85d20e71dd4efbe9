"""What the benchmark measures per proxy: CPU per request and throughput at concurrency
16, per-API CPU, p50 at concurrency 1, time to first token and RSS."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from bench.router.processes import cpu_seconds, rss_mb
from bench.router.workload import KEY, PROMPT
from bench.router.wrk import wrk


async def _ttft(port: int, n: int) -> float:
    """Median seconds from sending a streamed request to the first byte of its body, on
    one keep-alive connection (no connection setup in the number), like a chat client."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples = []
    for i in range(n):
        body = orjson.dumps(
            {
                "model": "default",
                "stream": True,
                "messages": [{"role": "user", "content": PROMPT.format(n=f"t{i}")}],
            }
        )
        request = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        began = time.perf_counter()
        writer.write(request)  # one write, as wrk and most clients send a small request
        head = await reader.readuntil(b"\r\n\r\n")
        size = int(await reader.readline(), 16)
        first = await reader.readexactly(1)
        samples.append(time.perf_counter() - began)
        assert b" 200 " in head.split(b"\r\n", 1)[0], head
        assert first
        await reader.readexactly(size + 1)  # rest of the chunk and its CRLF
        while size:
            size = int(await reader.readline(), 16)
            await reader.readexactly(size + 2)
    writer.close()
    await writer.wait_closed()
    return statistics.median(samples)


def measure_cpu(
    name: str, port: int, pid: int, paths: dict[str, Path], seconds: int
) -> dict[str, Any]:
    """CPU per request and throughput at concurrency 16, JSON and streamed."""
    url = f"http://127.0.0.1:{port}"
    row: dict[str, Any] = {"name": name, "port": port, "pid": pid}
    wrk(url, paths["json"], 4, 1)  # warm up connection pools and caches
    for mode in ("json", "stream"):
        before = cpu_seconds(pid)
        requests, _ = wrk(url, paths[mode], 16, seconds)
        spent = cpu_seconds(pid) - before
        row[f"cpu_ms_{mode}"] = spent / requests * 1000
        row[f"rps_{mode}"] = requests / seconds
    return row


def measure_apis(row: dict[str, Any], paths: dict[str, Path], seconds: int, rounds: int) -> None:
    """The router's CPU per request of each API, JSON and streamed, at concurrency 16: chat
    and the translated APIs interleaved for ``rounds`` rounds (median kept), so load from
    elsewhere on the machine hits each alike."""
    url = f"http://127.0.0.1:{row['port']}"
    samples: dict[str, list[float]] = {}
    by_api = {name: script for name, script in paths.items() if " " in name}
    for script in by_api.values():
        wrk(url, script, 4, 1)  # warm every path
    for _ in range(rounds):
        for name, script in by_api.items():
            before = cpu_seconds(row["pid"])
            requests, _ = wrk(url, script, 16, seconds)
            samples.setdefault(name, []).append((cpu_seconds(row["pid"]) - before) / requests)
    row["api_cpu_ms"] = {name: statistics.median(v) * 1000 for name, v in samples.items()}


def measure_latency(rows: list[dict[str, Any]], paths: dict[str, Path], rounds: int) -> None:
    """p50 at concurrency 1 and time to first token, in interleaved rounds so that load
    from elsewhere on the machine hits every proxy alike; the median round is kept."""
    p50: dict[str, list[float]] = {row["name"]: [] for row in rows}
    ttft: dict[str, list[float]] = {row["name"]: [] for row in rows}
    for _ in range(rounds):
        for row in rows:
            url = f"http://127.0.0.1:{row['port']}"
            p50[row["name"]].append(wrk(url, paths["json"], 1, 2)[1])
            ttft[row["name"]].append(asyncio.run(_ttft(row["port"], 50)) * 1000)
    for row in rows:
        row["p50_ms_c1"] = statistics.median(p50[row["name"]])
        row["ttft_ms"] = statistics.median(ttft[row["name"]])
        if "pid" in row:
            row["rss_mb"] = rss_mb(row["pid"])
