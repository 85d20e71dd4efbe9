"""The aiohttp front of the router: ``create_app(config)`` returns a ready Application.

aiohttp serves the hot path because it costs ~0.2 ms of CPU per proxied request on these
machines against ~1-1.8 ms for starlette + httpx; the client side is aiohttp too (one
pooled session). All routing logic lives in ``router.core``; this module only moves bytes
between aiohttp and ``Gateway.handle``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .admin import admin_handler
from .backends import ChatBackend
from .bounds import RequestTimeoutError, server_options
from .config import RouterConfig
from .core import Gateway, Request, Response
from .errors import BodyTooLargeError, NotFoundError, RequestError, RouterError
from .streamwrite import write_stream

__all__ = ["GATEWAY", "create_app", "create_operator_app"]

GATEWAY = web.AppKey("gateway", Gateway)


def create_app(
    config: RouterConfig,
    *,
    backends: Mapping[str, ChatBackend] | None = None,
    gateway: Gateway | None = None,
    reuse_port: bool = False,
) -> web.Application:
    """The router as an aiohttp Application. ``backends`` replaces adapters by target
    name (tests, custom transports); ``gateway`` replaces the whole core; ``reuse_port``
    lets several worker processes bind the operator listener too (``router.workers``)."""
    core = gateway or Gateway(config, backends=backends)
    limits = config.limits
    limit = limits.max_body_bytes
    app = web.Application(client_max_size=limit + 1, handler_args=server_options(limits))
    app[GATEWAY] = core

    async def handle(request: web.Request) -> web.StreamResponse:
        length = request.content_length
        if length is not None and length > limit:
            return _closing(_too_large(length, limit))
        try:
            if request.content.is_eof():
                body = await request.read()  # all here (the usual small body): no timer
            else:
                async with asyncio.timeout(limits.body_timeout_s):
                    body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _closing(_too_large(None, limit))
        except TimeoutError:
            return _closing(_error(RequestTimeoutError(_SLOW_BODY.format(limits.body_timeout_s))))
        except UnicodeDecodeError:
            return _plain(Response(400, {}, RequestError("unreadable body").to_json()))
        client = request.remote or ""
        response = await core.handle(
            Request(request.method, request.path, request.headers, body, client)
        )
        if response.stream is None:
            return _plain(response)
        return await write_stream(request, response, core)

    async def start(_: web.Application) -> None:
        await core.start()

    async def stop(_: web.Application) -> None:
        await core.close()

    app.router.add_route("*", "/admin/{tail:.*}", admin_handler(core.access))
    # The core's own paths as plain routes: aiohttp finds those in its index by path,
    # where the catch-all is a regex match after the admin one. The catch-all still
    # hands every other path (and any endpoint added later) to the core, which 404s.
    for path in core.endpoints:
        if not path.startswith("/admin/"):
            app.router.add_route("*", path, handle)
    app.router.add_route("*", "/{tail:.*}", handle)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    if config.admin.port is not None:
        _add_operator_listener(app, core, config.admin.host, config.admin.port, reuse_port)
    _quiet_parse_errors()
    return app


def _add_operator_listener(
    app: web.Application, core: Gateway, host: str, port: int, reuse_port: bool
) -> None:
    runner = web.AppRunner(create_operator_app(core), access_log=None)

    async def start(_: web.Application) -> None:
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()

    async def stop(_: web.Application) -> None:
        await runner.cleanup()

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)


class _OneLine(logging.Filter):
    """aiohttp logs an unparsable HTTP request with its traceback (at debug level); one
    line with the reason is what an operator needs."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            reason = str(exc.message).strip().splitlines()[0] if exc.message else ""
            record.msg = f"{record.getMessage()}: {exc.code} {reason}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_parse_errors() -> None:
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _OneLine) for f in server.filters):
        server.addFilter(_OneLine())


def create_operator_app(core: Gateway) -> web.Application:
    """The operator listener (``admin.port``): ``/metrics``, ``/readyz`` (with the target
    list) and ``/healthz`` without a credential, and the admin API (``/admin/*``) with
    the admin credential only (``router.admin``). It shares the core of the
    main app, which starts and closes it."""
    app = web.Application(client_max_size=64 * 1024)  # admin API bodies are small

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path not in _OPERATOR_PATHS:
            missing = NotFoundError(f"the operator listener serves {', '.join(_OPERATOR_PATHS)}")
            return _plain(Response(404, {"content-type": "application/json"}, missing.to_json()))
        operator = Request(request.method, request.path, {}, b"", request.remote or "", True)
        return _plain(await core.handle(operator))

    app.router.add_route("*", "/admin/{tail:.*}", admin_handler(core.access))
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


_OPERATOR_PATHS = ("/metrics", "/readyz", "/healthz")


def _plain(response: Response) -> web.Response:
    return web.Response(status=response.status, body=response.body, headers=response.headers)


def _too_large(length: int | None, limit: int) -> Response:
    size = f"{length} bytes" if length is not None else "the request body"
    return _error(
        BodyTooLargeError(f"{size} exceeds the limit of {limit} bytes (limits.max_body_bytes)")
    )


def _error(exc: RouterError) -> Response:
    return Response(exc.status, {"content-type": "application/json"}, exc.to_json())


_SLOW_BODY = "the request body did not arrive within {} s (limits.body_timeout_s)"


def _closing(response: Response) -> web.Response:
    """An answer after which the connection is closed: the rest of a body that is too
    large or too slow is not worth reading (aiohttp would otherwise linger on it)."""
    answer = _plain(response)
    answer.force_close()
    return answer
