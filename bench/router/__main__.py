"""Router overhead benchmark. Run from the repository root: ``python -m bench.router``.

Starts a mock OpenAI-compatible upstream, the router, a bare aiohttp pass-through and (if
installed under .bench/litellm-venv) a LiteLLM proxy, each in its own process, and drives
them with wrk. Reports CPU time per request of the proxy process (utime+stime from
/proc/<pid>/stat, children included) at concurrency 16, added p50 latency at concurrency 1
against the upstream hit directly, time-to-first-token delta, and RSS. Also shows that
blocking boto3 calls (run in the bounded pool) do not stall the router's event loop.

This module is the runner and its command line; the workload, processes, wrk driver,
measures, LiteLLM install, boto3 stall demo and result tables are modules beside it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from bench.router.litellm_proxy import LITELLM, ensure_litellm, litellm_config
from bench.router.measure import measure_apis, measure_cpu, measure_latency
from bench.router.processes import free_port, start, start_sink, stop
from bench.router.report import OTEL_ON, report
from bench.router.stall import boto_stall_demo
from bench.router.workload import KEY, router_config, scripts


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router")
    parser.add_argument("--seconds", type=int, default=5, help="length of each c16 run")
    parser.add_argument("--rounds", type=int, default=5, help="latency rounds (interleaved)")
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--no-litellm", action="store_true")
    parser.add_argument(
        "--no-apis", action="store_true", help="skip /v1/messages and /v1/responses CPU"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            rows = _run_all(Path(tmp), args, processes)
        finally:
            for process in processes:
                if process.poll() is None:
                    stop(process)
    report(rows, boto_stall_demo())
    return 0


def _run_all(
    directory: Path, args: argparse.Namespace, processes: list[subprocess.Popen[bytes]]
) -> list[dict[str, Any]]:
    py = sys.executable
    paths = scripts(directory)
    up_port = free_port()
    upstream_cmd = [py, "-m", "bench.router.upstream", "--port", str(up_port)]
    processes.append(start([*upstream_cmd, "--chunks", str(args.chunks)], up_port, "/health"))
    upstream_url = f"http://127.0.0.1:{up_port}"
    config_path = directory / "router.json"
    config_path.write_bytes(orjson.dumps(router_config(up_port)))
    router_cmd = [py, "-m", "router", "--config", str(config_path)]
    sink_port = free_port()
    processes.append(start_sink(sink_port))
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}"}
    proxies: list[tuple[str, list[str], str, dict[str, str] | None]] = [
        ("inferplane router", router_cmd, "/healthz", None),
        # The same router exporting GenAI spans and metrics to an OTLP sink (router/otel.py).
        (OTEL_ON, router_cmd, "/healthz", otel),
        (
            "bare aiohttp pass-through",
            [py, "-m", "bench.router.passthrough", "--upstream", upstream_url],
            "/healthz",
            None,
        ),
    ]
    if not args.no_litellm and ensure_litellm():
        lite_cmd = [str(LITELLM), "--config", str(litellm_config(directory, up_port))]
        lite_cmd += ["--host", "127.0.0.1", "--num_workers", "1"]
        env: dict[str, str] | None = {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "LITELLM_LOG": "ERROR",
            "DISABLE_SCHEMA_UPDATE": "True",
            # Auth on, as in the router: the master key is the bench's API key.
            "LITELLM_MASTER_KEY": KEY,
        }
        proxies.append(("LiteLLM proxy", lite_cmd, "/health/liveliness", env))
    else:
        print("LiteLLM not run (--no-litellm or install failed)", file=sys.stderr)
    rows: list[dict[str, Any]] = [{"name": "upstream direct", "port": up_port}]
    for name, cmd, health, env in proxies:
        port = free_port()
        process = start([*cmd, "--port", str(port)], port, health, env)
        processes.append(process)
        rows.append(measure_cpu(name, port, process.pid, paths, args.seconds))
    measure_latency(rows, paths, args.rounds)
    if not args.no_apis:
        measure_apis(rows[1], paths, max(1, args.seconds // 2), args.rounds)
    return rows


if __name__ == "__main__":
    sys.exit(main())
