"""The trace of one request: the router's SERVER span and a CLIENT span per upstream attempt.

A request with a valid W3C ``traceparent`` joins the client's trace (the server span is a
child of the client's span, sampled as the client decided: the SDK's default
parent-based sampler); without one the router starts a new, sampled trace. Each upstream
attempt gets its own client span, a child of the server span, and sends its
``traceparent`` upstream (``router.otel_context.OUTGOING``, read by the HTTP adapters);
attempts that fail or are refused end their span at once with ``error.type`` (the
error's code, as in ``inferplane_attempts_total``). The answering attempt's span and the
server span end with the answer (for a stream, its last byte), reported by Accounting.

Only POSTs through the Gateway are traced: the model APIs (and a POST to an unknown
path, refused with 404); health probes, ``/metrics``, ``/v1/models`` and the OpenAPI
document (GETs) are not, nor is the admin API (its own handler). Created only when
telemetry is on (``router.otel``), so none of this runs when it is off.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from random import getrandbits
from typing import TYPE_CHECKING, Protocol, TypeVar

from .errors import RouterError, UpstreamError
from .genai_metrics import Attributes
from .otel_context import OUTGOING, TRACEPARENT, TRACESTATE, Parent, format_traceparent
from .otel_wire import CLIENT, SERVER, FinishedSpan

if TYPE_CHECKING:
    from .genai_spans import SpanExport
    from .pipeline.call import Call
    from .pipeline.wire import Request

__all__ = ["AttemptSpans", "ServerTrace", "attempt_error"]

T = TypeVar("T")
CLIENT_CLOSED = 499
"""The server span's status when the client went away before an answer (nginx's code:
nothing was sent)."""


def attempt_error(exc: BaseException) -> str:
    """The ``error.type`` of a failed attempt: the code Dispatch counts it under."""
    if isinstance(exc, UpstreamError):
        return exc.code or "error"
    if isinstance(exc, TimeoutError):
        return "upstream_timeout"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"  # the request's task: the client went away, or a shutdown
    return "adapter_error"


class AttemptSpans(Protocol):
    """What a trace needs from the telemetry to describe a failed attempt (``GenAITelemetry``)."""

    def attempt_failed(
        self, call: Call, target: str, span: FinishedSpan, error: str
    ) -> FinishedSpan:
        """``span`` completed (name, attributes) for a failed attempt at ``target``."""


class ServerTrace:
    """One traced request: its ids, its server span, and its upstream attempts."""

    __slots__ = (
        "_attributes",
        "_name",
        "_path",
        "_spans",
        "_telemetry",
        "answering",
        "closed",
        "parent_id",
        "request_id",
        "route",
        "sampled",
        "span_id",
        "start_ns",
        "trace_id",
        "tracestate",
    )

    def __init__(
        self,
        spans: SpanExport,
        telemetry: AttemptSpans,
        request: Request,
        request_id: str,
        *,
        known: bool,
        parent: Parent | None,
    ) -> None:
        self.start_ns = time.time_ns()
        self._spans = spans
        self._telemetry = telemetry
        if parent is None:
            self.trace_id, self.parent_id, self.sampled = _new_id(128), 0, True
            self.tracestate: str | None = None
        else:
            self.trace_id, self.parent_id = parent.trace_id, parent.span_id
            self.sampled, self.tracestate = parent.sampled, parent.tracestate
        self.span_id = _new_id(64)
        self.request_id = request_id
        # The route of a known endpoint is one of a few; an unknown path is the client's
        # choice, so it never names the span or a shared attribute set.
        self._name = f"{request.method} {request.path}" if known else request.method
        self._attributes: Attributes = (("http.request.method", request.method),)
        if known:
            self._attributes += (("http.route", request.path),)
        self._path = request.path
        self.route = "-"
        self.answering: tuple[int, int] = (0, 0)
        """(span id, start) of the attempt that answered: its span ends with the answer."""
        self.closed = False

    def outgoing(self, span_id: int) -> dict[str, str]:
        """The trace headers an upstream call made in client span ``span_id`` carries."""
        headers = {TRACEPARENT: format_traceparent(self.trace_id, span_id, self.sampled)}
        if self.tracestate is not None:
            headers[TRACESTATE] = self.tracestate
        return headers

    def traced(
        self, call: Call, attempt: Callable[[str], Awaitable[T]]
    ) -> Callable[[str], Awaitable[T]]:
        """``attempt(target)`` in a client span of its own, whose ``traceparent`` the
        upstream call sends; a failed attempt's span ends at once with its ``error.type``."""

        async def traced(target: str) -> T:
            span_id, start = _new_id(64), time.time_ns()
            token = OUTGOING.set(self.outgoing(span_id))
            try:
                result = await attempt(target)
            except BaseException as exc:
                error = attempt_error(exc)
                template = self.client_span(span_id, start, time.time_ns())
                self.add(self._telemetry.attempt_failed(call, target, template, error))
                if error == "cancelled":  # the request's task ends here: no answer, no refusal
                    self.route = call.decision.route.name
                    self.close(CLIENT_CLOSED, (("inferplane.reason", "client_closed"),), error)
                raise
            finally:
                OUTGOING.reset(token)
            self.answering = (span_id, start)
            return result

        return traced

    def client_span(self, span_id: int, start_ns: int, end_ns: int) -> FinishedSpan:
        """A client span in this trace, a child of the server span (name and attributes
        are the telemetry's to fill in)."""
        return FinishedSpan("", CLIENT, self.trace_id, span_id, self.span_id, start_ns, end_ns, ())

    def add(self, span: FinishedSpan) -> None:
        if self.sampled:
            self._spans.add(span)

    def refused(self, exc: RouterError) -> None:
        """The request was refused: the server span ends with the refusal's status and
        reason (``error.type`` for a server error only, as HTTP's conventions say)."""
        self.route = exc.route
        reason = exc.reason or exc.code or exc.type
        error = reason if exc.status >= 500 else None
        self.close(exc.status, (("inferplane.reason", reason),), error)

    def close(self, status: int, extra: Attributes = (), error: str | None = None) -> None:
        """End the server span (once: the first end wins); ``error``: its ``error.type``
        (default: the status code of a server error)."""
        if self.closed:
            return
        self.closed = True
        if error is None and status >= 500:
            error = str(status)
        own: Attributes = (
            ("url.path", self._path),
            ("http.response.status_code", status),
            ("inferplane.request_id", self.request_id),
            ("inferplane.route", self.route),
            *extra,
        )
        if error is not None:
            own += (("error.type", error),)
        self.add(
            FinishedSpan(
                self._name,
                SERVER,
                self.trace_id,
                self.span_id,
                self.parent_id,
                self.start_ns,
                time.time_ns(),
                self._attributes,
                own,
                error,
            )
        )


def _new_id(bits: int) -> int:
    """A random non-zero ID (zero is the invalid ID in both W3C and OTLP)."""
    return getrandbits(bits) or 1
