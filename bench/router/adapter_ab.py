"""The OpenAI adapter's HTTP client, A/B in one process: two checkouts' ``router``
packages side by side (relative imports make the package relocatable), each one's
``OpenAICompatBackend.complete`` / ``.stream`` against the bench's mock upstream (its own
process), 16 concurrent callers, blocks alternated A,B / B,A; CPU µs per call of this
process (``time.process_time``), median per side and mode.

    python -m bench.router.adapter_ab BEFORE_DIR AFTER_DIR [--blocks 16] [--calls 800]

``BEFORE_DIR`` and ``AFTER_DIR`` are checkouts (``git archive main | tar -x -C DIR``).
``python -m bench.router.core`` runs a canned target and cannot see the client's cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.router.processes import free_port, start, stop
from bench.router.workload import router_config

__all__ = ["main"]

_BODY = {"model": "m", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 64}


def _backend(checkout: str, name: str, packages: Path, port: int) -> tuple[Any, Any]:
    """An OpenAI adapter from ``checkout``'s router package, imported as ``name``."""
    shutil.copytree(Path(checkout) / "router", packages / name)
    compat = importlib.import_module(f"{name}.backends.openai_compat")
    base = importlib.import_module(f"{name}.backends.base")
    config = importlib.import_module(f"{name}.config")
    target = config.RouterConfig.model_validate(router_config(port)).targets["mock"]
    return compat.OpenAICompatBackend("mock", target, base.BackendContext()), base.Usage


async def _block(backend: Any, usage: Any, mode: str, calls: int) -> float:
    """CPU µs per call over ``calls`` calls by 16 concurrent callers."""
    each = calls // 16

    async def caller() -> None:
        for _ in range(each):
            if mode == "json":
                await backend.complete(_BODY)
            else:
                async for _ in backend.stream(_BODY, usage(), False):
                    pass

    began = time.process_time()
    await asyncio.gather(*(caller() for _ in range(16)))
    return (time.process_time() - began) / (each * 16) * 1e6


async def _run(args: argparse.Namespace) -> dict[str, list[float]]:
    packages = Path(tempfile.mkdtemp())
    sys.path.insert(0, str(packages))
    port = free_port()
    upstream = start(
        [sys.executable, "-m", "bench.router.upstream", "--port", str(port)], port, "/health"
    )
    samples: dict[str, list[float]] = {}
    try:
        sides = {
            "A": _backend(args.before, "router_a", packages, port),
            "B": _backend(args.after, "router_b", packages, port),
        }
        for backend, usage in sides.values():
            for mode in ("json", "stream"):
                await _block(backend, usage, mode, 320)  # warm pools and code paths
        gc.collect()
        gc.freeze()  # as router.serve does after start-up
        for n in range(args.blocks):
            for mode in ("json", "stream"):
                for side in "AB" if n % 2 == 0 else "BA":
                    backend, usage = sides[side]
                    cpu = await _block(backend, usage, mode, args.calls)
                    samples.setdefault(f"{side} {mode}", []).append(cpu)
        for backend, _ in sides.values():
            await backend.context.close()
    finally:
        stop(upstream)
        shutil.rmtree(packages, ignore_errors=True)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.router.adapter_ab")
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--calls", type=int, default=800)
    samples = asyncio.run(_run(parser.parse_args()))
    print("| mode | before CPU µs/call | after CPU µs/call | after - before |")
    print("|---|---|---|---|")
    for mode in ("json", "stream"):
        a = statistics.median(samples[f"A {mode}"])
        b = statistics.median(samples[f"B {mode}"])
        print(f"| {mode} | {a:.1f} | {b:.1f} | {b - a:+.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
