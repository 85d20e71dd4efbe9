"""Dispatch, the stage that calls targets: the decision's targets in order, each behind
its circuit breaker, skipped when its context window cannot take the request, retried
with backoff on a retryable error, waited for within the request's budget when it is
cold (``router.cold``), replaced by the next one when it fails before its first byte.

Reasons for the client name targets and error codes only; upstream addresses and
exception text go to the log line with the same request id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

from ..backends import ChatBackend, Completion, Usage
from ..cold import set_deadline
from ..config import RouterConfig
from ..errors import (
    NoTargetError,
    RouterError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeoutError,
)
from ..resilience import CircuitBreaker, backoff_delay
from ..sse import error_event
from ..window import WindowCheck
from .accounting import Accounting
from .call import Call

__all__ = ["Dispatch", "OpenStream", "Send"]

logger = logging.getLogger("inferplane.router")
T = TypeVar("T")
Send = Callable[[str, dict[str, Any]], Awaitable[Completion]]
"""``send(target, body)``: one JSON call to a target (replaces the chat call)."""
OpenStream = Callable[[str, dict[str, Any], Usage], AsyncIterator[bytes]]
"""``open_stream(target, body, usage)``: one streamed call (replaces the chat stream)."""


class Dispatch:
    """The targets of one router, their breakers, and how a call is tried on them."""

    def __init__(
        self,
        config: RouterConfig,
        backends: dict[str, ChatBackend],
        breakers: Mapping[str, CircuitBreaker],
        accounting: Accounting,
    ) -> None:
        self.targets = config.targets
        self.backends = backends  # tests and benches may swap an adapter in place
        self.breakers = breakers
        self.windows = WindowCheck(config.targets)
        self.accounting = accounting

    async def complete(self, call: Call, send: Send | None = None) -> tuple[str, Completion]:
        """One JSON answer from the first target that gives one, and who gave it."""

        async def attempt(name: str) -> Completion:
            body = self.body_for(call, name)
            backend = self.backends[name]
            if send is None and backend.bounds_total:
                return await backend.complete(body)  # its own timer: timeouts.total
            async with asyncio.timeout(self.targets[name].timeouts.total):
                if send is not None:
                    return await send(name, body)
                return await backend.complete(body)

        return await self.attempts(call, attempt)

    async def stream(
        self, call: Call, open_stream: OpenStream | None = None
    ) -> tuple[str, AsyncIterator[bytes]]:
        """A stream from the first target whose first block arrives in time, and who
        sends it; the stream is accounted for when it ends."""

        async def attempt(name: str) -> tuple[bytes, AsyncIterator[bytes], Usage]:
            usage = Usage()
            body = self.body_for(call, name)
            if open_stream is not None:
                blocks = open_stream(name, body, usage)
            else:
                blocks = self.backends[name].stream(body, usage, call.chat.include_usage)
            try:
                async with asyncio.timeout(self.targets[name].timeouts.first_byte):
                    first = await anext(blocks)
            except StopAsyncIteration:
                raise UpstreamProtocolError(f"target {name!r} sent an empty stream") from None
            except BaseException:
                await blocks.aclose()  # type: ignore[attr-defined]
                raise
            return first, blocks, usage

        name, (first, blocks, usage) = await self.attempts(call, attempt)
        call.first_token_at = time.perf_counter()
        return name, self._relay(call, name, first, blocks, usage)

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
            error = as_upstream_error(exc, name)
            self.breakers[name].record_failure()
            self.accounting.attempt(name, error.code or "error")
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
            self.accounting.finished(call, name, status, usage)

    async def attempts(self, call: Call, attempt: Callable[[str], Awaitable[T]]) -> tuple[str, T]:
        """Try the decision's targets in order until ``attempt(target)`` succeeds; a
        refusal carries the route and data class."""
        set_deadline(call.started, call.classification.latency_budget_ms)  # cold targets
        if call.trace is not None:  # telemetry on: a client span per attempt (otel_trace)
            attempt = call.trace.traced(call, attempt)
        try:
            return await self._attempts(call, attempt)
        except RouterError as exc:
            exc.route = call.decision.route.name
            exc.data_class = call.classification.data_class
            raise

    async def _attempts(self, call: Call, attempt: Callable[[str], Awaitable[T]]) -> tuple[str, T]:
        tried = _Tried()
        size = self.windows.size(call.chat, call.body)
        for name in call.decision.targets:
            skipped = self.windows.refusal(name, size)
            if skipped is None and not self.breakers[name].allow():
                skipped = f"{name}: circuit open"
            if skipped is not None:  # not failed: its breaker is untouched
                tried.add(skipped, skipped)
                continue
            answered = await self._target(call, name, attempt, tried)
            if answered is not None:
                return name, answered[0]
        too_big = all(self.windows.refusal(name, size) for name in call.decision.targets)
        raise tried.exhausted(call, too_big)

    async def _target(
        self, call: Call, name: str, attempt: Callable[[str], Awaitable[T]], tried: _Tried
    ) -> tuple[T] | None:
        """One target with its retries: its answer (in a 1-tuple), or None to go on."""
        breaker = self.breakers[name]
        retries = self.targets[name].max_retries
        for round_ in range(retries + 1):
            call.upstream_started = time.perf_counter()
            try:
                result = await attempt(name)
            except (UpstreamError, TimeoutError) as exc:
                error = as_upstream_error(exc, name)
                self.accounting.attempt(name, error.code or "error")
                if not error.fallback:
                    breaker.record_success()  # it answered: the request was at fault
                    raise error from exc
                if error.breaker_failure:  # not a cold target the request cannot await
                    breaker.record_failure()
                tried.add(f"{name}: {error.code or 'error'}", f"{name}: {error.message}")
                if error.retry and round_ < retries and breaker.allow():
                    await asyncio.sleep(backoff_delay(round_))
                    continue
                return None
            except Exception as exc:  # an adapter bug must not become a 500
                breaker.record_failure()
                self.accounting.attempt(name, "adapter_error")
                tried.add(f"{name}: adapter_error", f"{name}: adapter error {exc!r}")
                return None
            breaker.record_success()
            self.accounting.attempt(name, "ok")
            return (result,)
        return None

    def body_for(self, call: Call, name: str) -> dict[str, Any]:
        return {**call.body, "model": self.targets[name].model}


class _Tried:
    """Why each target did not answer: for the client, and in detail for the log."""

    __slots__ = ("details", "reasons")

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.details: list[str] = []

    def add(self, reason: str, detail: str) -> None:
        self.reasons.append(reason)
        self.details.append(detail)

    def exhausted(self, call: Call, too_big: bool) -> NoTargetError:
        route = call.decision.route.name
        error = NoTargetError(
            f"no allowed target could answer (route {route!r}): {'; '.join(self.reasons)}; "
            f"request id {call.request_id}",
            code="context_window_exceeded" if too_big else "all_targets_failed",
        )
        error.detail = f"no target could answer (route {route!r}): {'; '.join(self.details)}"
        return error


def as_upstream_error(exc: BaseException, name: str) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, TimeoutError):
        return UpstreamTimeoutError(f"target {name!r} timed out", target=name)
    return UpstreamProtocolError(f"target {name!r}: {exc!r}", target=name)
