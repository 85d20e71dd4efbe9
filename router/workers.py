"""``--workers N``: one router process per core, all on one port.

The parent forks N workers before any event loop exists; each binds the port with
``SO_REUSEPORT``, so the kernel spreads new connections across them, and runs its own
aiohttp server. Every answer of a worker carries ``x-inferplane-worker: <index>``.

State the workers must agree on (rate limits, the exact cache) lives in the configured
store: with ``state.backend: redis`` all workers share it, as replicas do. With the
in-process store each worker would keep its own (a key's limit would become N times its
rpm), so N > 1 is refused unless the operator allows it explicitly
(``allow_memory_state``). Circuit breakers stay per worker, as they are per replica.

The parent forwards SIGTERM and SIGINT to the workers and exits when they have; if one
worker dies, the others are stopped and the parent exits with its status.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import ssl
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from router.config import RouterConfig
from router.errors import ConfigError

__all__ = ["WORKER_HEADER", "check_workers", "serve_workers"]

WORKER_HEADER = "x-inferplane-worker"


def check_workers(config: RouterConfig, workers: int, allow_memory_state: bool) -> None:
    """Refuse a worker count the state backend cannot support, naming why."""
    if workers < 1:
        raise ConfigError(f"--workers must be 1 or more, got {workers}")
    if workers > 1 and config.state.backend == "memory" and not allow_memory_state:
        raise ConfigError(
            f"--workers {workers} needs shared state, but state.backend is 'memory': each "
            "worker would keep its own rate limits and exact cache (a key's limit would "
            f"become {workers} x its rpm). Configure state.backend 'redis' (spec: "
            "router.redis), or pass --allow-memory-state to accept per-worker state"
        )


def serve_workers(
    config: RouterConfig,
    host: str,
    port: int,
    tls: ssl.SSLContext | None,
    *,
    workers: int,
    serve_one: Callable[[RouterConfig, str, int, ssl.SSLContext | None, int], None],
) -> int:
    """Fork ``workers`` processes running ``serve_one(config, host, port, tls, index)``
    and wait for them; the exit status of the first to end (0 after a signal)."""
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(
            target=serve_one, args=(config, host, port, tls, index), name=f"router-{index}"
        )
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    signalled = False

    def stop_all() -> None:
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)

    def forward(signum: int, _: FrameType | None) -> None:
        nonlocal signalled
        signalled = True
        stop_all()

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        ended: list[BaseProcess] = []
        while not ended:  # ``wait`` may also return when a signal interrupts it
            wait([p.sentinel for p in processes], timeout=1)
            ended = [p for p in processes if not p.is_alive()]
        first = ended[0]
        stop_all()
        for process in processes:
            process.join(30)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    status = first.exitcode or 0
    return 0 if signalled else (abs(status) or 1)
