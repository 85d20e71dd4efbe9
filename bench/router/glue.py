"""The whole router process, profiled: ``router.app``'s real aiohttp app (server, core,
upstream client, access log) served from this process under cProfile, driven by wrk from
outside, against the mock upstream in its own process; the bare aiohttp pass-through the
same way. Only the proxy's own work lands in this process (wrk and the upstream are
elsewhere), so the two profiles differ by exactly what the router adds around the bare
server and client: the glue outside ``Gateway.handle`` as well as the core.

    python -m bench.router.glue                       # CPU µs/req, router vs bare, interleaved
    python -m bench.router.glue --profile router --mode stream [--top 40] [--sort tottime]

CPU is this process's ``time.process_time`` over each wrk run (no profiler running),
divided by completed requests; the profile is a separate run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bench.router.passthrough import make_app as passthrough_app
from bench.router.processes import free_port, start, stop
from bench.router.workload import router_config, scripts
from inferplane.router.accesslog import AccessLog
from inferplane.router.app import create_app
from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway
from inferplane.router.serve import settle_collector

__all__ = ["main"]

PROXIES = ("router", "bare")
_offsets = iter(range(50_000_000, 10**12, 1_000_000))


async def wrk(port: int, script: Path, connections: int, seconds: float) -> int:
    """Requests completed by one wrk run (run as a child, so the loop keeps serving)."""
    process = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{int(seconds)}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE,
        env={"BENCH_OFFSET": str(next(_offsets))},
    )
    out = (await process.communicate())[0].decode()
    done = re.search(r"(\d+) requests in", out)
    if done is None or "Non-2xx" in out:
        raise RuntimeError(f"wrk failed:\n{out}")
    return int(done.group(1))


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def router_app(upstream: int, sink: io.BufferedWriter) -> web.Application:
    """The router as ``python -m bench.router`` runs it (same config), its access log
    written to ``sink`` (/dev/null) instead of stderr."""
    config = RouterConfig.model_validate(router_config(upstream))
    return create_app(config, gateway=Gateway(config, access_log=AccessLog(sink)))


async def cpu_per_request(port: int, script: Path, seconds: float) -> float:
    began = time.process_time()
    done = await wrk(port, script, 16, seconds)
    return (time.process_time() - began) / done


async def compare(
    ports: dict[str, int], paths: dict[str, Path], seconds: float, rounds: int
) -> dict[str, float]:
    """Median CPU µs/req per proxy and mode, the proxies interleaved round by round."""
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        for mode in ("json", "stream"):
            for name, port in ports.items():
                value = await cpu_per_request(port, paths[mode], seconds)
                samples.setdefault(f"{name} {mode}", []).append(value * 1e6)
    return {key: statistics.median(values) for key, values in samples.items()}


async def profiled(port: int, script: Path, seconds: float) -> cProfile.Profile:
    # CPU time, not wall time: a send() on loopback that wakes wrk or the upstream on the
    # other core would otherwise be charged for the time this process waits for the core.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await wrk(port, script, 16, seconds)
    profiler.disable()
    return profiler


async def run(args: argparse.Namespace, directory: Path) -> str:
    upstream_port = free_port()
    upstream = start(
        [sys.executable, "-m", "bench.router.upstream", "--port", str(upstream_port)],
        upstream_port,
        "/health",
    )
    paths = scripts(directory)
    runners: list[web.AppRunner] = []
    try:
        with open("/dev/null", "wb") as sink:
            ports: dict[str, int] = {}
            apps = {
                "router": router_app(upstream_port, sink),
                "bare": passthrough_app(f"http://127.0.0.1:{upstream_port}"),
            }
            for name, app in apps.items():
                runner, ports[name] = await serve(app)
                runners.append(runner)
            for port in ports.values():  # warm pools, caches and code paths
                await wrk(port, paths["json"], 4, 1)
                await wrk(port, paths["stream"], 4, 1)
            settle_collector()  # as router.serve does once the router has started
            if args.profile:
                port = ports[args.profile]
                profiler = await profiled(port, paths[args.mode], args.seconds)
                if args.save:
                    profiler.dump_stats(args.save)  # for pstats' callers/callees views
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
                stats.print_stats(args.top)
                return out.getvalue()
            medians = await compare(ports, paths, args.seconds, args.rounds)
    finally:
        for runner in runners:
            await runner.cleanup()
        stop(upstream)
    lines = ["| mode | router CPU µs/req | bare CPU µs/req | router / bare |", "|---|---|---|---|"]
    for mode in ("json", "stream"):
        ours, bare = medians[f"router {mode}"], medians[f"bare {mode}"]
        lines.append(f"| {mode} | {ours:.1f} | {bare:.1f} | {ours / bare:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router.glue")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=PROXIES)
    parser.add_argument("--mode", choices=("json", "stream"), default="json")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--save", help="also write the profile here (pstats format)")
    args = parser.parse_args()
    # wrk drops its connections mid-answer when its time is up: not worth a traceback.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as directory:
        print(asyncio.run(run(args, Path(directory))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
