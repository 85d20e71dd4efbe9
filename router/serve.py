"""Running the router: ``run(config, host, port, workers=N)`` blocks until interrupted."""

from __future__ import annotations

import gc
import os
import ssl
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from .app import create_app
from .bounds import SWITCH_INTERVAL_S
from .config import RouterConfig
from .configfile import parse_config
from .contract import CONFIG_ENV
from .errors import ConfigError
from .workers import WORKER_HEADER, check_workers, serve_workers

__all__ = ["CONFIG_ENV", "GEN0_THRESHOLD", "load_config", "run", "settle_collector", "tls_context"]


def load_config(path: str | None = None) -> RouterConfig:
    """From ``path``, else from ``INFERPLANE_ROUTER_CONFIG`` (the JSON itself, or a path)."""
    text: str | None
    if path is not None:
        text = _read(path)
    else:
        text = os.environ.get(CONFIG_ENV)
        if text is None:
            raise ConfigError(f"no config: pass --config FILE or set {CONFIG_ENV}")
        if not text.lstrip().startswith("{"):
            text = _read(text)
    return parse_config(text, path or CONFIG_ENV)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read router config {path}: {exc}") from exc


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context (TLS 1.2 or later) with the certificate chain in ``cert`` (PEM,
    leaf first) and its private key in ``key``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS certificate {cert} / key {key}: {exc}") from exc
    return context


def run(
    config: RouterConfig,
    host: str = "127.0.0.1",
    port: int = 8080,
    tls: ssl.SSLContext | None = None,
    *,
    workers: int = 1,
    allow_memory_state: bool = False,
) -> int:
    """Serve ``config``; over TLS with ``tls`` (edge sites), plain HTTP behind a platform
    that terminates TLS (Lambda URLs, Cloud Run, Container Apps, a cluster ingress). With
    ``workers`` > 1, that many processes share the port (``router.workers``). Returns the
    exit status."""
    check_workers(config, workers, allow_memory_state)
    if workers == 1:
        _serve(config, host, port, tls, None)
        return 0
    return serve_workers(config, host, port, tls, workers=workers, serve_one=_serve)


def _serve(
    config: RouterConfig, host: str, port: int, tls: ssl.SSLContext | None, worker: int | None
) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # the loop's turn while a thread scans a body
    app = create_app(config, reuse_port=worker is not None)
    if worker is not None:
        app.on_response_prepare.append(_worker_header(str(worker)))
    app.on_startup.append(_freeze_startup_objects)  # last: after the core has started
    web.run_app(
        app,
        host=host,
        port=port,
        ssl_context=tls,
        access_log=None,
        print=None,
        reuse_port=worker is not None or None,
    )


def _worker_header(
    value: str,
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def add(_: web.Request, response: web.StreamResponse) -> None:
        response.headers[WORKER_HEADER] = value

    return add


async def _freeze_startup_objects(_: web.Application) -> None:
    settle_collector()


GEN0_THRESHOLD = 10_000
"""Net allocations of tracked objects between young-generation collections (CPython's
default: 700). Requests in flight hold a few hundred objects each, so at 16 concurrent
requests the default ran a young collection every ~20 requests that walked (and promoted)
only live request state: ~12 µs of CPU per request at c16 (``bench/router/glue.py``).
Almost everything a request allocates is freed by reference counting; cyclic garbage
still triggers a collection once 10,000 objects have piled up."""


def settle_collector() -> None:
    """The collector set for serving, once the router has started: move what start-up
    built (modules, config, pydantic models, clients: ~50,000 objects) out of its reach
    (every full collection under load walked them all again: ~20 ms each, ~6 µs per
    request at c16; they live as long as the process), after collecting the garbage
    first so none of it is kept for ever; and collect the young generation every
    ``GEN0_THRESHOLD`` allocations instead of every 700."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, middle, old)
