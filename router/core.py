"""The router's request handling, independent of any HTTP server.

    gateway = Gateway(config, backends=None)
    await gateway.start()
    response = await gateway.handle(Request(method, path, headers, body))
    # response.status: int, response.headers: dict[str, str]
    # response.body: bytes, or response.stream: AsyncIterator[bytes] (SSE) when not None
    await gateway.close()

``Request.headers`` must have lower-case names. ``handle`` never raises for a bad request
or a failing target: every error becomes an OpenAI-style error body with its status.
A client may send ``x-inferplane-cache: off`` to bypass both caches for one request.
Every response carries ``x-request-id``; the log line of a failed request carries the same
id, and error bodies name it where the details (upstream addresses, exception text) stay in
the log. Caches, cache headers and rate limits are scoped by tenant (``KeyConfig.tenant``,
or ``anonymous`` when auth is off). ``/metrics`` and the target list of ``/readyz`` need an
operator credential (``admin.keys``) or the operator listener (``admin.port``). The
aiohttp app (``router.app``) and any other front (a Lambda function URL handler) only
translate their request into ``Request`` and write ``Response`` back; for a stream they
iterate ``response.stream`` and must ``aclose()`` it if the client goes away.

A request goes through the stages of ``router.pipeline``, each a small object the
Gateway composes: ``Admission`` (size, API key, parse, rate limit), ``Routing``
(classification, residency decision), ``Caching`` (exact and semantic answers),
``Dispatch`` (targets in order: windows, breakers, retries, cold targets, fallback) and
``Accounting`` (metrics, access log). The APIs (``router.api``) share them through
``admit``, ``answer``, ``complete`` and ``stream``.

A streamed response is returned only after the first block arrived from a target, so a
target that fails before its first byte is replaced by the next allowed one; after the
first byte reached the client a failure ends the stream with an SSE error event and no
``[DONE]``, never as a clean, truncated 200.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping

from .access import Access
from .accesslog import AccessLog
from .backends import BackendContext, ChatBackend, build_backend
from .chat import ChatRequest, parse_chat_request
from .config import ANONYMOUS_TENANT, RouterConfig
from .errors import MethodNotAllowedError, NotFoundError, RequestError, RouterError
from .headers import SafeHeaders
from .pii import PiiRegistry
from .pipeline.accounting import Accounting
from .pipeline.admission import Admission
from .pipeline.caching import Caching
from .pipeline.call import Call
from .pipeline.dispatch import Dispatch, OpenStream, Send
from .pipeline.routing import Routing
from .pipeline.wire import (
    CACHE_HEADER,
    JSON,
    REQUEST_ID_HEADER,
    Endpoint,
    Request,
    Response,
    error_response,
)
from .redisconn import connect
from .resilience import CircuitBreaker
from .semantic.cache import SemanticCache
from .state import FailSafeStore, MemoryStore, RedisStore, StateStore

__all__ = [
    "CACHE_HEADER",
    "REQUEST_ID_HEADER",
    "Call",
    "Endpoint",
    "Gateway",
    "Request",
    "Response",
    "error_response",
]

logger = logging.getLogger("inferplane.router")


class Gateway:
    """Routes requests by one RouterConfig through the pipeline's stages."""

    def __init__(
        self,
        config: RouterConfig,
        *,
        backends: Mapping[str, ChatBackend] | None = None,
        store: StateStore | None = None,
        pii: PiiRegistry | None = None,
        access_log: AccessLog | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.context = BackendContext(blocking_threads=config.limits.blocking_threads)
        given = dict(backends or {})
        self.backends = {
            name: given.get(name) or build_backend(name, target, self.context)
            for name, target in config.targets.items()
        }
        self.store = store if store is not None else _default_store(config, self.context)
        self.breakers = {name: CircuitBreaker(config.breaker, clock) for name in config.targets}
        self.access = Access(config, self.context)  # run-time keys, budgets, admin API
        self.accounting = Accounting(config, access_log, self.access.budgets)
        self.admission = Admission(config, self.store, self.access)
        self.routing = Routing(config, pii, self.accounting)
        self.caching = Caching(
            config, self.store, self.backends, self.accounting, self.context.resolve_secret
        )
        self.dispatch = Dispatch(config, self.backends, self.breakers, self.accounting)
        self.endpoints: dict[str, Endpoint] = {"/v1/chat/completions": Endpoint("POST", self._chat)}
        # Every other API (the router's own endpoints, Anthropic Messages, Responses, legacy
        # completions, embeddings, the OpenAPI document) lives in router.api, one module
        # each, on these same stages.
        from .api import install

        install(self)

    @property
    def semantic(self) -> SemanticCache:
        return self.caching.semantic

    async def start(self) -> None:
        self.accounting.start()
        # Mint every target's credentials before the first request (failures are logged).
        await asyncio.gather(*(backend.start() for backend in self.backends.values()))

    async def close(self) -> None:
        for backend in self.backends.values():
            await backend.close()
        await self.context.close()
        await self.store.close()
        await self.access.close()
        await self.caching.close()
        await self.accounting.stop()

    async def handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8)
        request.headers = SafeHeaders(request.headers)
        endpoint = self.endpoints.get(request.path)
        request.trace = self.accounting.telemetry.begin(request, request_id, endpoint is not None)
        try:
            response = await self._dispatch(request, request_id, endpoint)
        except RouterError as exc:
            response = self._refused(request, request_id, exc, endpoint)
        except UnicodeError as exc:  # a header or body with bytes that are not UTF-8
            reason = getattr(exc, "reason", type(exc).__name__)
            refusal = RequestError(f"request is not valid UTF-8 ({reason})")
            response = self._refused(request, request_id, refusal, endpoint)
        except Exception as exc:  # a bug: answer in the API's shape and keep serving
            logger.exception(
                "request %s: unhandled error on %s %s", request_id, request.method, request.path
            )
            response = error_response(
                RouterError(f"internal error: {type(exc).__name__} (request id {request_id})")
            )
        response.headers[REQUEST_ID_HEADER] = request_id
        if request.trace is not None and response.stream is None:
            request.trace.close(response.status)  # unless an answer or refusal ended it
        return response

    async def _dispatch(
        self, request: Request, request_id: str, endpoint: Endpoint | None
    ) -> Response:
        if endpoint is None:
            raise NotFoundError(f"unknown path {request.path!r}")
        if request.method != endpoint.method:
            raise MethodNotAllowedError(f"{request.path} accepts {endpoint.method} only")
        return await endpoint.handler(request, request_id)

    def _refused(
        self, request: Request, request_id: str, exc: RouterError, endpoint: Endpoint | None
    ) -> Response:
        """Every refused request is counted with its reason, written to the access log
        with it, and logged in one line: the reason, never a traceback."""
        self.accounting.refused(request, request_id, exc)
        render = endpoint.render_error if endpoint is not None else None
        return (render or error_response)(exc)

    async def _chat(self, request: Request, request_id: str) -> Response:
        return await self.answer(await self.admit(request, request_id, parse_chat_request))

    # --- the stages, as every API uses them ---------------------------------------------

    async def admit(
        self, request: Request, request_id: str, parse: Callable[[bytes], ChatRequest]
    ) -> Call:
        """Admission and routing, the same for every API: size, API key, ``parse`` (the
        API's body to a chat request), rate limit, classification and the routing
        decision (residency). A refusal carries the data class it was decided for."""
        started = time.perf_counter()
        key, chat = await self.admission.admit(request, parse)
        size = len(request.body)
        classification, decision = await self.routing.route(chat, key, request.headers, size)
        tenant = key.tenant if key is not None else ANONYMOUS_TENANT
        body = chat.capped_body(decision.max_tokens)
        call = Call(chat, key, classification, decision, body, started, request_id, tenant)
        call.trace = request.trace
        call.use_cache = request.headers.get(CACHE_HEADER) != "off"
        return call

    async def answer(self, call: Call) -> Response:
        """A chat answer for an admitted call: from a cache or a target, JSON or a stream
        of OpenAI chunks (other APIs translate it back)."""
        if call.use_cache:
            hit = await self.caching.answer(call)
            if hit is not None:
                return hit
        if call.chat.stream:
            return await self.stream(call)
        return await self.complete(call)

    async def complete(self, call: Call, send: Send | None = None) -> Response:
        """One JSON answer from the first target that gives one. ``send(target, body)``
        replaces the chat call (legacy completions, embeddings)."""
        name, completion = await self.dispatch.complete(call, send)
        self.accounting.finished(call, name, 200, completion.usage)
        await self.caching.store(call, name, completion.body)
        return Response(200, call.headers(name, JSON, "miss"), completion.body)

    async def stream(self, call: Call, open_stream: OpenStream | None = None) -> Response:
        """A stream from the first target whose first block arrives in time.
        ``open_stream(target, body, usage)`` replaces the chat stream (legacy completions)."""
        name, blocks = await self.dispatch.stream(call, open_stream)
        headers = call.headers(name, "text/event-stream", "miss")
        headers["cache-control"] = "no-cache"
        return Response(200, headers, stream=blocks)


def _default_store(config: RouterConfig, context: BackendContext) -> StateStore:
    state = config.state
    if state.backend == "redis":
        client = connect(state, context.resolve_secret)  # state.url, state.ca
        redis = RedisStore(client, prefix=f"inferplane:{config.stack}")
        return FailSafeStore(redis, retry_s=state.retry_s)
    return MemoryStore(config.cache.exact.max_entries)
