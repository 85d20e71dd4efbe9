"""The backend interface: one adapter per kind of target, all speaking OpenAI's shape.

An adapter takes the OpenAI chat request (already carrying the target's model ID and
capped ``max_tokens``) and returns either a ``Completion`` (an OpenAI ``chat.completion``
body plus its usage) or, for streams, an async iterator of OpenAI SSE bytes that ends with
``data: [DONE]`` only when the upstream finished cleanly. Every failure is raised as an
``UpstreamError`` subclass; SDK and transport errors never cross this boundary.

Timeouts: adapters enforce the connect timeout and, for streams, the total timeout; the
core enforces the first-byte timeout (first stream item) and the total for non-streamed
calls, so every adapter gets them the same way; an adapter whose client already gives up
after the total (``bounds_total``: the HTTP adapters) gets no second timer.
"""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

from ..config import SecretRef, TargetConfig
from ..credentials import resolve_secret as default_resolve
from ..errors import UpstreamStatusError
from ..fetch import check_no_private_fetch
from ..target_auth import (
    CredentialOptions,
    CredentialsUnavailableError,
    OutgoingRequest,
    build_credentials,
)
from .http import NO_USER_AGENT, NoUserAgentRequest
from .http import post as http_post

__all__ = ["BackendContext", "ChatBackend", "Completion", "Usage"]

_ITEM, _END, _ERROR = 0, 1, 2


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(slots=True)
class Completion:
    body: bytes
    """OpenAI ``chat.completion`` JSON, as sent to the client."""
    usage: Usage


class BackendContext:
    """What adapters share: one HTTP session, one bounded thread pool, secret lookup, and
    the clock the credential caches run on (tests inject one)."""

    def __init__(
        self,
        *,
        blocking_threads: int = 16,
        resolve_secret: Callable[[SecretRef], str] | None = None,
        clock: Callable[[], float] = time.time,
        refresh_poll_s: float = 30.0,
    ) -> None:
        self.executor = ThreadPoolExecutor(blocking_threads, thread_name_prefix="router-sdk")
        self.resolve_secret = resolve_secret or default_resolve
        self.clock = clock
        self.refresh_poll_s = refresh_poll_s
        self._session: aiohttp.ClientSession | None = None

    def credential_options(self, key_header: str | None = None) -> CredentialOptions:
        return CredentialOptions(
            resolve_secret=self.resolve_secret,
            clock=self.clock,
            poll_s=self.refresh_poll_s,
            key_header=key_header,
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        # Created on first use so that it binds to the running loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=0, ttl_dns_cache=300, enable_cleanup_closed=False
            )
            # No cookie jar: no target auth scheme uses cookies, a cookie one tenant's
            # request got must not ride on another's, and a jar costs a lookup per call.
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=NO_USER_AGENT,
                request_class=NoUserAgentRequest,
                auto_decompress=True,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def run_blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def iterate_blocking(self, open_items: Callable[[], Iterable[Any]]) -> AsyncIterator[Any]:
        """Items of a blocking iterator (a boto3 event stream), produced in the thread pool
        and handed to the loop one by one; stops the producer when the consumer leaves."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
        stop = threading.Event()

        def hand_over(kind: int, value: Any) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

        def produce() -> None:
            try:
                for item in open_items():
                    if stop.is_set():
                        return
                    hand_over(_ITEM, item)
                hand_over(_END, None)
            except Exception as exc:  # handed to the consumer, translated there
                hand_over(_ERROR, exc)

        producer = loop.run_in_executor(self.executor, produce)
        try:
            while True:
                kind, value = await queue.get()
                if kind == _ITEM:
                    yield value
                elif kind == _END:
                    return
                else:
                    raise value
        finally:
            stop.set()
            del producer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self.executor.shutdown(wait=False, cancel_futures=True)


class ChatBackend(ABC):
    """One target's adapter. ``kind`` is the config's ``backend`` value; ``credentials``
    prove the router's identity to the target (``target.auth``)."""

    kind: ClassVar[str]
    key_header: ClassVar[str | None] = None
    """The API's own header for an ``api_key`` left at the default ``authorization``."""
    bounds_total: ClassVar[bool] = False
    """True when ``complete`` gives up after ``timeouts.total`` by itself (the HTTP
    adapters' client timeout): the core then sets no second timer on the same call."""

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        self.name = name
        self.target = target
        self.context = context
        self.credentials = build_credentials(
            name, target, context.credential_options(self.key_header)
        )
        self.fetches_privately = target.url_fetch == "private"
        """Media URLs in a request would be fetched inside the private network
        (``router.fetch``): ``check_fetch`` refuses them."""

    def check_fetch(self, body: dict[str, Any]) -> None:
        """The caller's 400 when ``body`` names a media URL this target would fetch from
        inside the deployment's private network; adapters that forward URLs call it."""
        if self.fetches_privately:
            try:
                check_no_private_fetch(body)
            except ValueError as exc:
                raise self.refused(exc) from exc

    async def authorized_headers(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, str]:
        """``headers`` plus this target's credentials for one POST of ``body`` to ``url``."""
        request = OutgoingRequest("POST", url, dict(headers), body)
        try:
            await self.credentials.authorize(request)
        except CredentialsUnavailableError as exc:
            exc.target = exc.target or self.name
            raise
        return request.headers

    def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """POST ``body`` to ``url`` with this target's credentials and TLS trust; an error
        status raises ``UpstreamStatusError`` (``router.backends.http.post``, which signs
        the request inside its one context manager: no second layer per call)."""
        return http_post(
            self.context.session,
            url,
            body,
            headers,
            timeout=timeout,
            target=self.name,
            tls=self.credentials.ssl,
            sign=None if self.credentials.adds_nothing else self.authorized_headers,
        )

    def refused(self, exc: ValueError) -> UpstreamStatusError:
        """The caller's 400 for a request this target's API cannot say (an image form it
        does not take, a part no backend sends): raised before any call, never retried or
        sent elsewhere, as the API's own 400 would be."""
        return UpstreamStatusError(
            f"target {self.name!r} cannot take this request: {exc}",
            target=self.name,
            upstream_status=400,
        )

    @abstractmethod
    async def complete(self, body: dict[str, Any]) -> Completion: ...

    @abstractmethod
    def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        """OpenAI SSE bytes (whole events). Fills ``usage`` as the upstream reports it; sends
        the usage chunk to the client only if ``include_usage``."""

    async def start(self) -> None:
        """Mint credentials before the first request (failures are logged, not raised)."""
        await self.credentials.start()

    async def close(self) -> None:
        await self.credentials.close()
