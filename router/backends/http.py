"""What the HTTP adapters share: posting with timeouts and translating aiohttp errors."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, NoReturn

import aiohttp
import orjson
from multidict import CIMultiDict, istr

from ..config import TargetConfig
from ..errors import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeoutError,
)
from ..otel_context import OUTGOING

__all__ = [
    "Post",
    "Sign",
    "client_timeout",
    "error_message",
    "parse_json",
    "post",
    "translate_error",
]

Sign = Callable[[str, bytes, Mapping[str, str]], Awaitable[dict[str, str]]]
"""Adds a target's credentials to the headers of one POST of ``body`` to ``url``."""


NO_USER_AGENT = frozenset({istr("User-Agent")})
"""The session's ``skip_auto_headers``: the router sends no User-Agent of its own."""
_SKIPPED: CIMultiDict[None] = CIMultiDict({"User-Agent": None})


class NoUserAgentRequest(aiohttp.ClientRequest):
    """aiohttp's request for a session that skips only the User-Agent (``NO_USER_AGENT``),
    without the per-request work aiohttp does for any skip set (a sorted multidict of it,
    a copy of the headers and an extend, ~3 µs a call): the default headers are added
    where the caller did not set them and no User-Agent, as aiohttp would."""

    def update_auto_headers(self, skip_auto_headers: Iterable[str] | None) -> None:
        if skip_auto_headers != NO_USER_AGENT:  # a per-request skip set: aiohttp's way
            super().update_auto_headers(skip_auto_headers)
            return
        self._skip_auto_headers = _SKIPPED  # only read (``in``) by aiohttp
        headers = self.headers
        for name, value in self.DEFAULT_HEADERS.items():
            if name not in headers:
                headers[name] = value


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


def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: aiohttp.ClientTimeout,
    target: str,
    tls: ssl.SSLContext | None = None,
    sign: Sign | None = None,
) -> Post:
    """POST; an error status raises ``UpstreamStatusError`` with the upstream's message.
    ``tls`` verifies the target against its own CA (``auth.ca``) instead of the system's;
    ``sign(url, body, headers)`` adds the target's credentials to the headers first
    (after the attempt's ``traceparent``, so a signature covers it)."""
    return Post(session, url, body, headers, timeout=timeout, target=target, tls=tls, sign=sign)


class Post:
    """``async with post(...) as response``: a plain class, not ``asynccontextmanager``,
    whose async generator (and the loop's bookkeeping of it) would cost every upstream
    call. Transport errors, in the POST or in the body that reads the response, leave
    as ``UpstreamError``."""

    __slots__ = (
        "_body",
        "_headers",
        "_request",
        "_session",
        "_sign",
        "_target",
        "_timeout",
        "_url",
        "_verify",
    )

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: aiohttp.ClientTimeout,
        target: str,
        tls: ssl.SSLContext | None,
        sign: Sign | None,
    ) -> None:
        self._session = session
        self._url = url
        self._body = body
        self._headers = headers
        self._timeout = timeout
        self._target = target
        self._verify: ssl.SSLContext | bool = tls if tls is not None else True
        self._sign = sign
        self._request: AbstractAsyncContextManager[aiohttp.ClientResponse] | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        headers = self._headers
        trace = OUTGOING.get()  # the attempt's traceparent; None when telemetry is off
        if trace is not None:
            headers = {**headers, **trace}
        if self._sign is not None:
            headers = await self._sign(self._url, self._body, headers)
        try:
            request = self._session.post(
                self._url,
                data=self._body,
                headers=headers,
                timeout=self._timeout,
                ssl=self._verify,
            )
            response = await request.__aenter__()
            if response.status >= 400:
                try:
                    raise_for_status(
                        response.status,
                        await response.read(),
                        self._target,
                        response.headers.get("retry-after"),
                    )
                except BaseException as exc:
                    await request.__aexit__(type(exc), exc, exc.__traceback__)
                    raise
        except _TRANSPORT as exc:
            raise translate_error(exc, self._target) from exc
        self._request = request
        return response

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._request is not None  # entered
        try:
            await self._request.__aexit__(exc_type, exc, tb)
        except _TRANSPORT as failed:
            raise translate_error(failed, self._target) from failed
        if isinstance(exc, _TRANSPORT):
            raise translate_error(exc, self._target) from exc


_TRANSPORT = (TimeoutError, aiohttp.ClientError, OSError)
"""What a POST or reading its response raises for a transport failure."""
