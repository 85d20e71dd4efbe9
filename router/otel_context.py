"""W3C Trace Context (``traceparent``, ``tracestate``) for the router, stdlib only.

The HTTP adapters import ``OUTGOING`` (``router.backends.http.post`` adds what it holds to
each upstream call), so this module must stay free of ``opentelemetry``: with telemetry
off it is all the router loads of tracing, ``OUTGOING`` stays ``None`` and no header is
sent. With telemetry on, ``router.otel_trace`` sets it around each upstream attempt.

An incoming ``traceparent`` that does not follow the recommendation exactly is ignored
(the router starts a new trace, as the recommendation says a receiver must), and a
``tracestate`` is passed on only with a valid ``traceparent`` and only when it is short,
printable ASCII: a client header can never break an upstream call.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["OUTGOING", "TRACEPARENT", "TRACESTATE", "Parent", "format_traceparent", "parse"]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_MAX_TRACESTATE = 512  # the recommendation's limit a vendor must propagate
_HEX = frozenset("0123456789abcdef")

OUTGOING: ContextVar[Mapping[str, str] | None] = ContextVar("outgoing_trace", default=None)
"""The trace headers of the upstream attempt in progress (None: telemetry off, or no
attempt): ``traceparent`` naming the attempt's client span, ``tracestate`` if any."""


@dataclass(frozen=True, slots=True)
class Parent:
    """A valid incoming trace context: the client's trace and span the router's server
    span becomes a child of."""

    trace_id: int
    span_id: int
    sampled: bool
    tracestate: str | None


def _hex_id(text: str) -> int | None:
    """A non-zero lower-case hex ID (upper case and all zeros are invalid)."""
    if not _HEX.issuperset(text):
        return None
    value = int(text, 16)
    return value or None


def parse(headers: Mapping[str, str]) -> Parent | None:
    """The trace context of a request's headers (lower-case names), or None when there is
    none or it is invalid."""
    value = headers.get(TRACEPARENT)
    if value is None:
        return None
    value = value.strip()
    # version "-" trace-id "-" parent-id "-" flags; later versions may append "-" fields.
    if len(value) < 55 or (len(value) > 55 and value[55] != "-"):
        return None
    version, trace, span, flags = value[:2], value[3:35], value[36:52], value[53:55]
    if value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    if not _HEX.issuperset(version) or version == "ff" or (version == "00" and len(value) != 55):
        return None
    trace_id, span_id = _hex_id(trace), _hex_id(span)
    if trace_id is None or span_id is None or not _HEX.issuperset(flags):
        return None
    return Parent(trace_id, span_id, bool(int(flags, 16) & 1), _tracestate(headers))


def _tracestate(headers: Mapping[str, str]) -> str | None:
    value = headers.get(TRACESTATE)
    if not value or len(value) > _MAX_TRACESTATE:
        return None
    if not all(" " <= c <= "~" for c in value):  # no CR/LF or other control characters
        return None
    return value


def format_traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    """The version-00 ``traceparent`` naming ``span_id`` in ``trace_id``."""
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"
