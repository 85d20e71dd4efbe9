"""AWS Lambda handler for the router behind a function URL (payload format 2.0).

This file is copied into the deployment zip as the top-level module ``lambda_entry``
(handler ``lambda_entry.handler``) next to the ``router`` package and its dependencies.
It imports nothing from inferplane: only the standard library and the router (its core,
``router.contract`` for the config variable),
``router.core.Gateway`` (``await gateway.handle(Request(method, path, headers, body))``),
which it drives on one event loop kept for the life of the execution environment, so
connection pools and caches survive between invocations.

Config: ``INFERPLANE_ROUTER_CONFIG`` (the RouterConfig JSON itself, or a path to it), else
``router.json`` next to this file (when the package was built with a config).

Streaming: the managed Python runtime cannot stream a function-URL response (Lambda's
response streaming is for Node.js managed runtimes and custom runtimes), so a streamed
chat completion is collected and returned whole as ``text/event-stream``; the router's
error event and missing ``[DONE]`` still reach the client when an upstream fails mid-way.
The stack's router therefore does not use this handler: it runs the zip's ``run.sh``
under the Lambda Web Adapter layer, which streams (components/aws/web_adapter.py); it stays
for a function without the layer (a region where none is published, a local harness).
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Protocol

# In the zip this file is the top-level module beside the top-level ``router`` package; in
# the toolkit it is inferplane.packaging.lambda_entry beside inferplane.router (the tests
# drive it there). Either way it imports nothing else from inferplane.
ROUTER = "inferplane.router" if __package__ else "router"
_contract = importlib.import_module(f"{ROUTER}.contract")
CONFIG_ENV: str = _contract.CONFIG_ENV
CONFIG_FILE: str = _contract.CONFIG_FILE

__all__ = ["CONFIG_ENV", "handler", "to_request_parts"]

BUNDLED_CONFIG = Path(__file__).with_name(CONFIG_FILE)


class _Response(Protocol):
    status: int
    headers: dict[str, str]
    body: bytes
    stream: AsyncIterator[bytes] | None


class _Gateway(Protocol):
    async def start(self) -> None: ...

    async def handle(self, request: Any) -> _Response: ...


class _Runtime:
    """What lives as long as the execution environment: the loop and the started core."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.gateway: _Gateway | None = None
        self.request_type: Any = None

    def started(self) -> tuple[asyncio.AbstractEventLoop, _Gateway]:
        if self.loop is None or self.gateway is None:
            core = importlib.import_module(f"{ROUTER}.core")
            config_module = importlib.import_module(f"{ROUTER}.config")
            config = config_module.RouterConfig.from_json(_config_text())
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            gateway: _Gateway = core.Gateway(config)
            loop.run_until_complete(gateway.start())
            self.loop, self.gateway, self.request_type = loop, gateway, core.Request
        return self.loop, self.gateway


_RUNTIME = _Runtime()


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Answer one function-URL invocation."""
    loop, gateway = _RUNTIME.started()
    method, path, headers, body = to_request_parts(event)
    request = _RUNTIME.request_type(method, path, headers, body)
    return loop.run_until_complete(_respond(gateway, request))


def _config_text() -> str:
    value = os.environ.get(CONFIG_ENV)
    if value is None:
        if not BUNDLED_CONFIG.is_file():
            raise RuntimeError(f"no router config: set {CONFIG_ENV} or bundle {CONFIG_FILE}")
        return BUNDLED_CONFIG.read_text(encoding="utf-8")
    if value.lstrip().startswith("{"):
        return value
    return Path(value).read_text(encoding="utf-8")


def to_request_parts(event: Mapping[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    """Method, path, lower-case headers and body of a function-URL event (format 2.0)."""
    http = event.get("requestContext", {}).get("http", {})
    method = str(http.get("method", "GET")).upper()
    path = str(event.get("rawPath") or http.get("path") or "/")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode("utf-8")
    return method, path, headers, body


async def _respond(gateway: _Gateway, request: object) -> dict[str, Any]:
    response = await gateway.handle(request)
    body = response.body
    if response.stream is not None:
        chunks = []
        try:
            async for chunk in response.stream:
                chunks.append(chunk)
        finally:
            closer = getattr(response.stream, "aclose", None)
            if closer is not None:
                await closer()
        body = b"".join(chunks)
    return _function_url_result(response.status, response.headers, body)


def _function_url_result(status: int, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    return {
        "statusCode": status,
        "headers": dict(headers),
        "body": text,
        "isBase64Encoded": encoded,
    }
