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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from .access import Access
from .accesslog import AccessLog
from .auth import KeyRing
from .backends import BackendContext, ChatBackend, Completion, Usage, build_backend
from .bounds import check_body_size, check_items, off_loop, precheck_items
from .cache import (
    CachedAnswer,
    ExactCache,
    SemanticCache,
    cache_key,
    namespace,
    semantic_namespace,
)
from .chat import ChatRequest, parse_chat_request
from .classify import Classification, Classifier
from .cold import readiness, set_deadline
from .config import ANONYMOUS_TENANT, KeyConfig, RouterConfig
from .decide import Decision, RouteTable
from .embedder import Embedder
from .errors import (
    AuthenticationError,
    MethodNotAllowedError,
    NoTargetError,
    NotFoundError,
    PermissionDeniedError,
    RequestError,
    RouterError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
)
from .headers import SafeHeaders
from .limits import RateLimiter
from .metrics import Metrics
from .opsmetrics import OperatorMetrics
from .pii import PiiRegistry
from .redisconn import connect
from .resilience import CircuitBreaker, backoff_delay
from .sse import error_event, replay
from .state import FailSafeStore, MemoryStore, RedisStore, StateStore
from .window import WindowCheck

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

CACHE_HEADER = "x-inferplane-cache"
REQUEST_ID_HEADER = "x-request-id"
logger = logging.getLogger("inferplane.router")
_JSON = "application/json"
_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}
T = TypeVar("T")


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes = b""
    client: str = ""
    """The client's address, for the per-client rate limit when auth is off."""
    operator: bool = False
    """True when the request came in on the operator listener (``admin.port``)."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One API path: its method, its handler and how its errors look on the wire (OpenAI's
    shape unless the API has its own, as Anthropic's Messages API does)."""

    method: str
    handler: Callable[[Request, str], Awaitable[Response]]
    render_error: Callable[[RouterError], Response] | None = None


@dataclass(slots=True)
class Call:
    """One routed request on its way through the router (chat, or another API translated
    to a chat body; embeddings and legacy completions carry their own body)."""

    chat: ChatRequest
    key: KeyConfig | None
    classification: Classification
    decision: Decision
    body: dict[str, Any]
    started: float
    request_id: str
    tenant: str
    cache_key: str | None = None
    semantic_space: str | None = None
    vector: Any = None
    use_cache: bool = True
    """False when the client sent ``x-inferplane-cache: off``."""
    upstream_started: float = 0.0
    """When the answering attempt's upstream call began (``inferplane_upstream_seconds``
    runs from here, not from the request's start)."""


class Gateway:
    """Routes OpenAI chat requests by one RouterConfig."""

    def __init__(
        self,
        config: RouterConfig,
        *,
        backends: Mapping[str, ChatBackend] | None = None,
        store: StateStore | None = None,
        pii: PiiRegistry | None = None,
        embedder: Embedder | None = None,
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
        self.store = store if store is not None else self._default_store()  # empty is falsy
        self.limiter = RateLimiter(config, self.store)
        self.keys = KeyRing(config.keys)
        self.operators = KeyRing(config.admin.keys)
        self.access = Access(config, self.context)  # run-time keys, budgets, admin API
        self.ops = OperatorMetrics(self.access.budgets)
        self.classifier = Classifier(config, pii)
        self.table = RouteTable(config)
        self.windows = WindowCheck(config.targets)
        self.exact = ExactCache(config.cache.exact, self.store)
        self.semantic = SemanticCache(config.cache.semantic, embedder)
        self.breakers = {name: CircuitBreaker(config.breaker, clock) for name in config.targets}
        self.metrics = Metrics()
        self.access_log = access_log or AccessLog()
        self.endpoints: dict[str, Endpoint] = {
            "/v1/chat/completions": Endpoint("POST", self._chat),
            "/v1/models": Endpoint("GET", self._models),
            "/healthz": Endpoint("GET", self._healthz),
            "/readyz": Endpoint("GET", self._readyz),
            "/metrics": Endpoint("GET", self._metrics),
        }
        # The other APIs (Anthropic Messages, Responses, legacy completions, embeddings,
        # the OpenAPI document) live in router.api, one module each, on this same core.
        from .api import install

        install(self)

    def _default_store(self) -> StateStore:
        state = self.config.state
        if state.backend == "redis":
            client = connect(state, self.context.resolve_secret)  # state.url, state.ca
            redis = RedisStore(client, prefix=f"inferplane:{self.config.stack}")
            return FailSafeStore(redis, retry_s=state.retry_s)
        return MemoryStore(self.config.cache.exact.max_entries)

    async def start(self) -> None:
        if self.config.access_log:
            self.access_log.start()
        # Mint every target's credentials before the first request (failures are logged).
        await asyncio.gather(*(backend.start() for backend in self.backends.values()))

    async def close(self) -> None:
        for backend in self.backends.values():
            await backend.close()
        await self.context.close()
        await self.store.close()
        await self.access.close()
        await self.access_log.stop()

    async def handle(self, request: Request) -> Response:
        request_id = secrets.token_hex(8)
        request.headers = SafeHeaders(request.headers)
        endpoint = self.endpoints.get(request.path)
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
        reason = exc.reason or exc.code or exc.type
        self.metrics.request(exc.route, "-", exc.status, exc.data_class, reason)
        if self.config.access_log:
            self.access_log.record(
                {
                    "ts": time.time(),
                    "request_id": request_id,
                    "path": request.path,
                    "route": exc.route,
                    "status": exc.status,
                    "data_class": exc.data_class,
                    "reason": reason,
                    "error": exc.message,
                }
            )
        logger.log(
            logging.WARNING if exc.status >= 500 else logging.INFO,
            "request %s: %s %s -> %d %s: %s",
            request_id,
            request.method,
            request.path,
            exc.status,
            exc.code or exc.type,
            exc.detail or exc.message,
        )
        render = endpoint.render_error if endpoint is not None else None
        return (render or error_response)(exc)

    # --- chat completions -------------------------------------------------------------

    async def _chat(self, request: Request, request_id: str) -> Response:
        return await self.answer(await self.admit(request, request_id, parse_chat_request))

    async def admit(
        self, request: Request, request_id: str, parse: Callable[[bytes], ChatRequest]
    ) -> Call:
        """Admission, the same for every API: size, API key, ``parse`` (the API's body to
        a chat request), rate limit, classification and the routing decision (residency).
        A refusal carries the data class it was decided for."""
        started = time.perf_counter()
        limits, size = self.config.limits, len(request.body)
        check_body_size(size, limits)
        headers = request.headers
        key = None
        if self.config.auth_required:
            key = await self.authenticate(headers)
            await self.access.budgets.check(key)
        precheck_items(request.body, limits)
        chat = await off_loop(size, limits, parse, request.body)
        check_items(chat, limits)
        await self.limiter.check(key, request.client)
        classify = self.classifier.classify
        classification = await off_loop(size, limits, classify, chat, key, headers)
        if classification.pii:
            self.metrics.pii[(("kind", classification.pii[0]),)] += 1
        try:
            decision = self.table.decide(classification, key)
        except RouterError as exc:
            exc.data_class = classification.data_class
            if classification.pii and isinstance(exc, PermissionDeniedError | NoTargetError):
                exc.reason = "pii"
                exc.message = (
                    f"PII detected in the request ({', '.join(classification.pii)}): it was "
                    f"raised to data class {classification.data_class!r}; {exc.message}"
                )
            raise
        tenant = key.tenant if key is not None else ANONYMOUS_TENANT
        body = chat.capped_body(decision.max_tokens)
        call = Call(chat, key, classification, decision, body, started, request_id, tenant)
        call.use_cache = headers.get(CACHE_HEADER) != "off"
        return call

    async def authenticate(self, headers: Mapping[str, str]) -> KeyConfig:
        """The API key of a request: ``Authorization: Bearer``, or the key headers of the
        APIs the router speaks (Azure OpenAI's ``api-key``, Anthropic's ``x-api-key``)."""
        return await self.access.authenticate(
            headers.get("authorization"), headers.get("api-key") or headers.get("x-api-key")
        )

    async def answer(self, call: Call) -> Response:
        """A chat answer for an admitted call: from a cache or a target, JSON or a stream
        of OpenAI chunks (other APIs translate it back)."""
        if call.use_cache:
            hit = await self._cache_lookup(call)
            if hit is not None:
                return hit
        if call.chat.stream:
            return await self.stream(call)
        return await self.complete(call)

    async def complete(
        self,
        call: Call,
        send: Callable[[str, dict[str, Any]], Awaitable[Completion]] | None = None,
    ) -> Response:
        """One JSON answer from the first target that gives one. ``send(target, body)``
        replaces the chat call (legacy completions, embeddings)."""

        async def attempt(name: str) -> Completion:
            body = self._body_for(call, name)
            async with asyncio.timeout(self.config.targets[name].timeouts.total):
                if send is not None:
                    return await send(name, body)
                return await self.backends[name].complete(body)

        name, completion = await self.attempts(call, attempt)
        self._finish(call, name, 200, completion.usage)
        await self._cache_store(call, name, completion.body)
        return Response(200, self._headers(call, name, _JSON, "miss"), completion.body)

    async def stream(
        self,
        call: Call,
        open_stream: Callable[[str, dict[str, Any], Usage], AsyncIterator[bytes]] | None = None,
    ) -> Response:
        """A stream from the first target whose first block arrives in time.
        ``open_stream(target, body, usage)`` replaces the chat stream (legacy completions)."""

        async def attempt(name: str) -> tuple[bytes, AsyncIterator[bytes], Usage]:
            usage = Usage()
            body = self._body_for(call, name)
            if open_stream is not None:
                blocks = open_stream(name, body, usage)
            else:
                blocks = self.backends[name].stream(body, usage, call.chat.include_usage)
            try:
                async with asyncio.timeout(self.config.targets[name].timeouts.first_byte):
                    first = await anext(blocks)
            except StopAsyncIteration:
                raise UpstreamProtocolError(f"target {name!r} sent an empty stream") from None
            except BaseException:
                await blocks.aclose()  # type: ignore[attr-defined]
                raise
            return first, blocks, usage

        name, (first, blocks, usage) = await self.attempts(call, attempt)
        headers = self._headers(call, name, "text/event-stream", "miss")
        headers["cache-control"] = "no-cache"
        return Response(200, headers, stream=self._relay(call, name, first, blocks, usage))

    async def _relay(
        self, call: Call, name: str, first: bytes, blocks: AsyncIterator[bytes], usage: Usage
    ) -> AsyncIterator[bytes]:
        status = 200
        try:
            yield first
            async for block in blocks:
                yield block
        except Exception as exc:  # adapter bugs included: the client gets an error event
            status = 502
            error = _as_upstream_error(exc, name)
            self.breakers[name].record_failure()
            self.metrics.attempt(name, error.code or "error")
            logger.warning(
                "request %s: target %r failed after the stream started: %s",
                call.request_id,
                name,
                error.message,
            )
            yield error_event(
                f"target {name!r} failed after the stream started ({error.code or 'error'}); "
                f"request id {call.request_id}",
                "upstream_error",
                "stream_interrupted",
            )
        finally:
            await blocks.aclose()  # type: ignore[attr-defined]
            self._finish(call, name, status, usage)

    async def attempts(self, call: Call, attempt: Callable[[str], Awaitable[T]]) -> tuple[str, T]:
        """Try the decision's targets in order until ``attempt(target)`` succeeds; a
        refusal carries the route and data class."""
        set_deadline(call.started, call.classification.latency_budget_ms)  # cold targets
        try:
            return await self._attempts(call, attempt)
        except RouterError as exc:
            exc.route = call.decision.route.name
            exc.data_class = call.classification.data_class
            raise

    async def _attempts(self, call: Call, attempt: Callable[[str], Awaitable[T]]) -> tuple[str, T]:
        # Reasons for the client name targets and error codes only; upstream addresses and
        # exception text go to the log line with the same request id.
        reasons: list[str] = []
        details: list[str] = []
        size = self.windows.size(call.chat, call.body)
        for name in call.decision.targets:
            too_small = self.windows.refusal(name, size)
            if too_small is not None:  # skipped, not failed: its breaker is untouched
                reasons.append(too_small)
                details.append(too_small)
                continue
            breaker = self.breakers[name]
            if not breaker.allow():
                reasons.append(f"{name}: circuit open")
                details.append(f"{name}: circuit open")
                continue
            retries = self.config.targets[name].max_retries
            for tried in range(retries + 1):
                call.upstream_started = time.perf_counter()
                try:
                    result = await attempt(name)
                except (UpstreamError, TimeoutError) as exc:
                    error = _as_upstream_error(exc, name)
                    self.metrics.attempt(name, error.code or "error")
                    if not error.fallback:
                        breaker.record_success()  # it answered: the request was at fault
                        raise error from exc
                    if error.breaker_failure:  # not a cold target the request cannot await
                        breaker.record_failure()
                    reasons.append(f"{name}: {error.code or 'error'}")
                    details.append(f"{name}: {error.message}")
                    if error.retry and tried < retries and breaker.allow():
                        await asyncio.sleep(backoff_delay(tried))
                        continue
                    break
                except Exception as exc:  # an adapter bug must not become a 500
                    breaker.record_failure()
                    self.metrics.attempt(name, "adapter_error")
                    reasons.append(f"{name}: adapter_error")
                    details.append(f"{name}: adapter error {exc!r}")
                    break
                else:
                    breaker.record_success()
                    self.metrics.attempt(name, "ok")
                    return name, result
        route = call.decision.route.name
        too_big = all(self.windows.refusal(name, size) for name in call.decision.targets)
        exhausted = NoTargetError(
            f"no allowed target could answer (route {route!r}): {'; '.join(reasons)}; "
            f"request id {call.request_id}",
            code="context_window_exceeded" if too_big else "all_targets_failed",
        )
        exhausted.detail = f"no target could answer (route {route!r}): {'; '.join(details)}"
        raise exhausted

    def _body_for(self, call: Call, name: str) -> dict[str, Any]:
        return {**call.body, "model": self.config.targets[name].model}

    # --- caches -----------------------------------------------------------------------

    async def _cache_lookup(self, call: Call) -> Response | None:
        space = namespace(call.tenant, call.classification.data_class, call.decision.route.name)
        answer = None
        if self.exact.enabled:
            call.cache_key = cache_key(space, call.body)
            answer = await self.exact.get(call.cache_key)
            self.metrics.cache[(("cache", "exact"), ("result", "hit" if answer else "miss"))] += 1
        if answer is None and self.semantic.enabled:
            call.semantic_space = semantic_namespace(space, call.body)
            if call.semantic_space is not None:
                call.vector = self.semantic.embed(call.chat.last_user_text)
                answer = self.semantic.get(call.semantic_space, call.vector)
                result = "hit" if answer else "miss"
                self.metrics.cache[(("cache", "semantic"), ("result", result))] += 1
        if answer is None:
            return None
        self._finish(call, answer.target, 200, Usage(), cached=True)
        if call.chat.stream:
            headers = self._headers(call, answer.target, "text/event-stream", "hit")
            return Response(200, headers, stream=replay(answer.body, call.chat.include_usage))
        return Response(200, self._headers(call, answer.target, _JSON, "hit"), answer.body)

    async def _cache_store(self, call: Call, name: str, body: bytes) -> None:
        answer = CachedAnswer(name, body)
        if call.cache_key is not None:
            await self.exact.put(call.cache_key, answer)
        if call.semantic_space is not None and call.vector is not None:
            self.semantic.put(call.semantic_space, call.vector, answer)

    # --- bookkeeping ------------------------------------------------------------------

    def _headers(self, call: Call, target: str, content_type: str, cache: str) -> dict[str, str]:
        return {
            "content-type": content_type,
            "x-inferplane-target": target,
            "x-inferplane-route": call.decision.route.name,
            "x-inferplane-data-class": call.classification.data_class,
            CACHE_HEADER: cache,
        }

    def _finish(
        self, call: Call, target: str, status: int, usage: Usage, *, cached: bool = False
    ) -> None:
        c = call.classification
        route = call.decision.route.name
        reason = "ok" if status < 400 else "stream_interrupted"
        self.metrics.request(route, target, status, c.data_class, reason)
        cost = 0.0
        if not cached:
            config = self.config.targets[target]
            cost = (
                usage.prompt_tokens * (config.input_cost_per_1k or 0.0)
                + usage.completion_tokens * (config.output_cost_per_1k or 0.0)
            ) / 1000
            self.metrics.usage(target, usage.prompt_tokens, usage.completion_tokens, cost)
            if call.key is not None:
                self.access.budgets.charge(call.key, cost)
            self.metrics.upstream_latency(target, time.perf_counter() - call.upstream_started)
        if self.config.access_log:
            self.access_log.record(
                {
                    "ts": time.time(),
                    "route": route,
                    "target": target,
                    "status": status,
                    "data_class": c.data_class,
                    "pii": c.pii,
                    "tier": c.tier,
                    "request_id": call.request_id,
                    "tenant": call.tenant,
                    "key": call.key.id if call.key else None,
                    "stream": call.chat.stream,
                    "cached": cached,
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "cost_usd": cost,
                    "ms": round((time.perf_counter() - call.started) * 1000, 3),
                }
            )

    # --- other endpoints --------------------------------------------------------------

    async def _models(self, request: Request, request_id: str) -> Response:
        key = None
        if self.config.auth_required:
            key = await self.authenticate(request.headers)
        routes = [
            r for r in self.config.routes if key is None or not key.routes or r.name in key.routes
        ]
        names = [r.match.alias for r in routes if r.match.alias]
        names += [t for r in routes for t in r.targets if t not in names]
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "inferplane"} for n in names]
        return Response(
            200, {"content-type": _JSON}, orjson.dumps({"object": "list", "data": data})
        )

    async def _healthz(self, request: Request, request_id: str) -> Response:
        return Response(200, {"content-type": _JSON}, b'{"status":"ok"}')

    async def _readyz(self, request: Request, request_id: str) -> Response:
        """Anyone may ask whether the router is ready; only an operator sees which targets
        (``router.cold.readiness``: ready, cold or down)."""
        status, public, operator = readiness(self.breakers, self.backends)
        document = operator if self._is_operator(request) else public
        return Response(status, {"content-type": _JSON}, orjson.dumps(document))

    async def _metrics(self, request: Request, request_id: str) -> Response:
        if not self._is_operator(request):
            if not self.config.admin.keys:
                raise PermissionDeniedError(
                    "/metrics is closed: configure admin.keys (a credential) or admin.port "
                    "(an operator listener) in the router config",
                    code="metrics_closed",
                )
            raise AuthenticationError(
                "/metrics needs an operator credential (admin.keys): "
                "send 'Authorization: Bearer <key>'"
            )
        for name, breaker in self.breakers.items():
            self.metrics.breaker_state[name] = _STATE_VALUES[breaker.state]
        self.metrics.log_dropped = self.access_log.dropped
        self.metrics.state_degraded = int(getattr(self.store, "degraded", False))
        body = self.metrics.render() + self.ops.render()
        return Response(200, {"content-type": "text/plain; version=0.0.4; charset=utf-8"}, body)

    def _is_operator(self, request: Request) -> bool:
        if request.operator:
            return True
        if not self.config.admin.keys:
            return False
        try:
            self.operators.authenticate(request.headers.get("authorization"))
        except AuthenticationError:
            return False
        return True


def _as_upstream_error(exc: BaseException, name: str) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, TimeoutError):
        return UpstreamTimeoutError(f"target {name!r} timed out", target=name)
    return UpstreamProtocolError(f"target {name!r}: {exc!r}", target=name)


def error_response(exc: RouterError) -> Response:
    """An error in OpenAI's shape; a 429 says when to retry (``Retry-After``)."""
    headers = {"content-type": _JSON}
    if exc.retry_after is not None:
        headers["retry-after"] = str(exc.retry_after)
    return Response(exc.status, headers, exc.to_json())
