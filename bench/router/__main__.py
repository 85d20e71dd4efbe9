"""Router overhead benchmark. Run from the repository root: ``python -m bench.router``.

Starts a mock OpenAI-compatible upstream, the router, a bare aiohttp pass-through and (if
installed under .bench/litellm-venv) a LiteLLM proxy, each in its own process, and drives
them with wrk. Reports CPU time per request of the proxy process (utime+stime from
/proc/<pid>/stat, children included) at concurrency 16, added p50 latency at concurrency 1
against the upstream hit directly, time-to-first-token delta, and RSS. Also shows that
blocking boto3 calls (run in the bounded pool) do not stall the router's event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
LITELLM = ROOT / ".bench" / "litellm-venv" / "bin" / "litellm"
KEY = "sk-bench"
TICKS = os.sysconf("SC_CLK_TCK")
PROMPT = (
    "Summarise request {n}: the quarterly report shows revenue growth in several regions "
    "and we would like a short overview of the main drivers and risks for next year."
)
LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"model":"default","messages":[{"role":"user","content":"%s"}]%s}', counter)
  return wrk.format("POST", "/v1/chat/completions",
    {["Content-Type"]="application/json", ["Authorization"]="Bearer %s"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for each in tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def rss_mb(pid: int) -> float:
    total = 0
    for each in tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def start(
    cmd: list[str], port: int, health: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{cmd[0:3]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(
                    f"GET {health} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                if b" 200 " in sock.recv(100):
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{cmd[0:3]} did not become healthy")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def wrk(url: str, script: Path, connections: int, seconds: int) -> tuple[int, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} failed responses\n{out}")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert p50 is not None
    value = float(p50.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return requests, value


def scripts(directory: Path) -> dict[str, Path]:
    paths = {}
    for mode, extra in (("json", ""), ("stream", ',"stream":true')):
        path = directory / f"{mode}.lua"
        path.write_text(LUA % (PROMPT.format(n="%d"), extra, KEY))
        paths[mode] = path
    return paths


async def _ttft(port: int, n: int) -> float:
    """Median seconds from sending a streamed request to its first body byte."""
    samples = []
    for i in range(n):
        body = orjson.dumps(
            {
                "model": "default",
                "stream": True,
                "messages": [{"role": "user", "content": PROMPT.format(n=f"t{i}")}],
            }
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = (
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {KEY}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        began = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b"chunked" in head.lower():
            await reader.readline()  # chunk size line
        await reader.readexactly(1)
        samples.append(time.perf_counter() - began)
        writer.close()
        await reader.read()
        await writer.wait_closed()
    return statistics.median(samples)


def router_config(upstream_port: int) -> dict[str, Any]:
    from router.auth import hash_key  # noqa: PLC0415 - bench imports the router lazily

    return {
        "stack": "bench",
        "environment": "dev",
        "default_data_class": "public",
        "data_classes": {
            "public": {"placement": "any", "rank": 0},
            "confidential": {"placement": "zone", "rank": 1},
        },
        "targets": {
            "mock": {
                "backend": "openai",
                "model": "m",
                "url": f"http://127.0.0.1:{upstream_port}/v1",
                "location": "cloud:aws:eu-central-1",
                "allowed_data_classes": ["public", "confidential"],
                "input_cost_per_1k": 0.0003,
                "output_cost_per_1k": 0.0015,
            }
        },
        "routes": [{"name": "default", "targets": ["mock"], "max_tokens": 512}],
        "keys": [
            {
                "id": "bench",
                "salt": "s",
                "sha256": hash_key(KEY, "s"),
                "data_classes": ["public", "confidential"],
                "rate_limit_rpm": 10_000_000,
            }
        ],
        "pii_data_class": "confidential",
        "cache": {"exact": {"enabled": True}},
        "access_log": True,
    }


def litellm_config(directory: Path, upstream_port: int) -> Path:
    path = directory / "litellm.yaml"
    path.write_text(
        "model_list:\n"
        "  - model_name: default\n"
        "    litellm_params:\n"
        "      model: openai/m\n"
        f"      api_base: http://127.0.0.1:{upstream_port}/v1\n"
        "      api_key: sk-upstream\n"
        "litellm_settings:\n"
        "  telemetry: false\n"
    )
    return path


def measure(name: str, port: int, pid: int, paths: dict[str, Path], seconds: int) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    row: dict[str, Any] = {"name": name}
    wrk(url, paths["json"], 4, 1)  # warm up connection pools and caches
    for mode in ("json", "stream"):
        before = cpu_seconds(pid)
        requests, _ = wrk(url, paths[mode], 16, seconds)
        spent = cpu_seconds(pid) - before
        row[f"cpu_ms_{mode}"] = spent / requests * 1000
        row[f"rps_{mode}"] = requests / seconds
    _, row["p50_ms_c1"] = wrk(url, paths["json"], 1, seconds)
    row["ttft_ms"] = asyncio.run(_ttft(port, 200)) * 1000
    row["rss_mb"] = rss_mb(pid)
    return row


def boto_stall_demo() -> dict[str, float]:
    """In process: 16 Bedrock calls that each block a pool thread for 200 ms, while fast
    requests to another target keep flowing; their latency shows whether the loop stalled."""
    return asyncio.run(_boto_stall())


async def _boto_stall() -> dict[str, float]:
    from aiohttp import web  # noqa: PLC0415

    from bench.router.upstream import make_app  # noqa: PLC0415
    from router.backends.bedrock import BedrockBackend  # noqa: PLC0415
    from router.config import RouterConfig  # noqa: PLC0415
    from router.core import Gateway, Request  # noqa: PLC0415

    runner = web.AppRunner(make_app(20), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    document = router_config(port)
    document["targets"]["bedrock"] = {
        "backend": "bedrock",
        "model": "anthropic.claude",
        "region": "eu-central-1",
        "location": "cloud:aws:eu-central-1",
        "allowed_data_classes": ["public", "confidential"],
    }
    document["routes"] = [
        {"name": "slow", "match": {"alias": "bedrock"}, "targets": ["bedrock"]},
        {"name": "default", "targets": ["mock"]},
    ]
    document["cache"] = {"exact": {"enabled": False}}
    document["access_log"] = False
    config = RouterConfig.model_validate(document)
    gateway = Gateway(config)

    class SlowBedrock:
        def converse(self, **_: Any) -> dict[str, Any]:
            time.sleep(0.2)  # a blocking SDK call
            return {
                "output": {"message": {"content": [{"text": "ok"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 1, "outputTokens": 1},
            }

    gateway.backends["bedrock"] = BedrockBackend(
        "bedrock", config.targets["bedrock"], gateway.context, client=SlowBedrock()
    )
    headers = {"authorization": f"Bearer {KEY}"}

    def body(model: str) -> bytes:
        return orjson.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})

    async def fast_one() -> float:
        began = time.perf_counter()
        response = await gateway.handle(
            Request("POST", "/v1/chat/completions", headers, body("default"))
        )
        assert response.status == 200
        return time.perf_counter() - began

    began = time.perf_counter()
    slow = [
        asyncio.ensure_future(
            gateway.handle(Request("POST", "/v1/chat/completions", headers, body("bedrock")))
        )
        for _ in range(16)
    ]
    fast: list[float] = []
    while not all(task.done() for task in slow):
        fast.append(await fast_one())
    statuses = [task.result().status for task in slow]
    wall = time.perf_counter() - began
    await gateway.close()
    await runner.cleanup()
    assert statuses == [200] * 16
    return {
        "bedrock_calls": 16,
        "blocking_s_each": 0.2,
        "pool_threads": config.limits.blocking_threads,
        "wall_s": wall,
        "fast_requests_meanwhile": len(fast),
        "fast_p50_ms": statistics.median(fast) * 1000,
        "fast_max_ms": max(fast) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    py = sys.executable
    processes: list[subprocess.Popen[bytes]] = []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        paths = scripts(directory)
        try:
            up_port = free_port()
            upstream = start(
                [
                    py,
                    "-m",
                    "bench.router.upstream",
                    "--port",
                    str(up_port),
                    "--chunks",
                    str(args.chunks),
                ],
                up_port,
                "/health",
            )
            processes.append(upstream)
            direct = {"name": "upstream direct"}
            _, direct["p50_ms_c1"] = wrk(
                f"http://127.0.0.1:{up_port}", paths["json"], 1, args.seconds
            )
            direct["ttft_ms"] = asyncio.run(_ttft(up_port, 200)) * 1000
            rows.append(direct)

            config_path = directory / "router.json"
            config_path.write_bytes(orjson.dumps(router_config(up_port)))
            port = free_port()
            router = start(
                [py, "-m", "router", "--config", str(config_path), "--port", str(port)],
                port,
                "/healthz",
            )
            processes.append(router)
            rows.append(measure("inferplane router", port, router.pid, paths, args.seconds))
            stop(router)

            port = free_port()
            bare = start(
                [
                    py,
                    "-m",
                    "bench.router.passthrough",
                    "--port",
                    str(port),
                    "--upstream",
                    f"http://127.0.0.1:{up_port}",
                ],
                port,
                "/healthz",
            )
            processes.append(bare)
            rows.append(measure("bare aiohttp pass-through", port, bare.pid, paths, args.seconds))
            stop(bare)

            if LITELLM.exists() and not args.no_litellm:
                port = free_port()
                env = {
                    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                    "LITELLM_TELEMETRY": "False",
                    "LITELLM_LOG": "ERROR",
                    "DISABLE_SCHEMA_UPDATE": "True",
                }
                lite = start(
                    [
                        str(LITELLM),
                        "--config",
                        str(litellm_config(directory, up_port)),
                        "--port",
                        str(port),
                        "--host",
                        "127.0.0.1",
                        "--num_workers",
                        "1",
                    ],
                    port,
                    "/health/liveliness",
                    env,
                )
                processes.append(lite)
                rows.append(measure("LiteLLM proxy", port, lite.pid, paths, args.seconds))
                stop(lite)
            else:
                print(f"LiteLLM not run: {LITELLM} missing (see README)", file=sys.stderr)
        finally:
            for process in processes:
                if process.poll() is None:
                    stop(process)
    report(rows, boto_stall_demo())
    return 0


def report(rows: list[dict[str, Any]], stall: dict[str, float]) -> None:
    direct = rows[0]
    print(
        "| proxy | CPU ms/req JSON c16 | CPU ms/req stream c16 | req/s JSON | req/s stream "
        "| p50 ms c1 | added p50 ms | TTFT ms | added TTFT ms | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| upstream direct | | | | | {direct['p50_ms_c1']:.3f} | | {direct['ttft_ms']:.3f} | | |"
    )
    for row in rows[1:]:
        print(
            f"| {row['name']} | {row['cpu_ms_json']:.3f} | {row['cpu_ms_stream']:.3f} "
            f"| {row['rps_json']:.0f} | {row['rps_stream']:.0f} | {row['p50_ms_c1']:.3f} "
            f"| {row['p50_ms_c1'] - direct['p50_ms_c1']:.3f} | {row['ttft_ms']:.3f} "
            f"| {row['ttft_ms'] - direct['ttft_ms']:.3f} | {row['rss_mb']:.0f} |"
        )
    names = {row["name"]: row for row in rows}
    ours = names["inferplane router"]
    for other in ("LiteLLM proxy", "bare aiohttp pass-through"):
        if other in names:
            ref = names[other]
            cpu_json = ours["cpu_ms_json"] / ref["cpu_ms_json"]
            cpu_stream = ours["cpu_ms_stream"] / ref["cpu_ms_stream"]
            print(
                f"\nratio router / {other}: CPU JSON {cpu_json:.3f}, "
                f"CPU stream {cpu_stream:.3f}, RSS {ours['rss_mb'] / ref['rss_mb']:.3f}"
            )
    print("\nblocking boto3 calls vs the event loop:", orjson.dumps(stall).decode())


if __name__ == "__main__":
    sys.exit(main())
