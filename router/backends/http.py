"""What the HTTP adapters share: posting with timeouts and translating aiohttp errors."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import aiohttp
import orjson

from ..config import TargetConfig
from ..errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)
from ..otel_context import OUTGOING

__all__ = ["Sign", "client_timeout", "error_message", "parse_json", "post", "translate_error"]

Sign = Callable[[str, bytes, Mapping[str, str]], Awaitable[dict[str, str]]]
"""Adds a target's credentials to the headers of one POST of ``body`` to ``url``."""


def client_timeout(target: TargetConfig) -> aiohttp.ClientTimeout:
    t = target.timeouts
    return aiohttp.ClientTimeout(total=t.total, sock_connect=t.connect)


def translate_error(exc: BaseException, target: str) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamTimeoutError(f"target {target!r} timed out", target=target)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamConnectError(f"target {target!r} is unreachable: {exc}", target=target)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return UpstreamConnectError(f"target {target!r} closed the connection", target=target)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return UpstreamConnectError(f"target {target!r}: {exc}", target=target)
    return UpstreamProtocolError(f"target {target!r}: {exc!r}", target=target)


def error_message(data: bytes) -> str:
    """The message of an error body in OpenAI, Anthropic or Google shape, else its text."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data[:500].decode("utf-8", "replace")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return data[:500].decode("utf-8", "replace")


def parse_json(data: bytes, target: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UpstreamProtocolError(f"target {target!r} sent invalid JSON", target=target) from exc


def raise_for_status(
    status: int, data: bytes, target: str, retry_after: str | None = None
) -> NoReturn:
    if status in (401, 403):
        # The target refused the router's own credentials, not the caller's request:
        # another target may serve it (as for AWS AccessDenied).
        refused = UpstreamStatusError(
            f"target {target!r} refused the router's credentials ({status}): "
            + error_message(data),
            target=target,
            upstream_status=503,
        )
        refused.retry = False  # the same credentials would be refused again
        raise refused
    failed = UpstreamStatusError(
        f"target {target!r} answered {status}: {error_message(data)}",
        target=target,
        upstream_status=status,
    )
    # A warming server's 503 says when to come back (router/cold.py waits that long).
    if status == 503 and retry_after is not None and retry_after.strip().isdigit():
        failed.retry_after = int(retry_after.strip())
    raise failed


@asynccontextmanager
async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: aiohttp.ClientTimeout,
    target: str,
    tls: ssl.SSLContext | None = None,
    sign: Sign | None = None,
) -> AsyncIterator[aiohttp.ClientResponse]:
    """POST; an error status raises ``UpstreamStatusError`` with the upstream's message.
    ``tls`` verifies the target against its own CA (``auth.ca``) instead of the system's;
    ``sign(url, body, headers)`` adds the target's credentials to the headers first
    (after the attempt's ``traceparent``, so a signature covers it)."""
    verify: ssl.SSLContext | bool = tls if tls is not None else True
    trace = OUTGOING.get()  # the attempt's traceparent; None when telemetry is off
    if trace is not None:
        headers = {**headers, **trace}
    if sign is not None:
        headers = await sign(url, body, headers)
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=timeout, ssl=verify
        ) as response:
            if response.status >= 400:
                raise_for_status(
                    response.status,
                    await response.read(),
                    target,
                    response.headers.get("retry-after"),
                )
            yield response
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise translate_error(exc, target) from exc
