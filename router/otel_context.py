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

import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import NamedTuple

__all__ = ["OUTGOING", "TRACEPARENT", "TRACESTATE", "Parent", "format_traceparent", "parse"]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_MAX_TRACESTATE = 512  # the recommendation's limit a vendor must propagate
_PRINTABLE = re.compile(r"[ -~]*")

OUTGOING: ContextVar[Mapping[str, str] | None] = ContextVar("outgoing_trace", default=None)
"""The trace headers of the upstream attempt in progress (None: telemetry off, or no
attempt): ``traceparent`` naming the attempt's client span, ``tracestate`` if any."""


class Parent(NamedTuple):
    """A valid incoming trace context: the client's trace and span the router's server
    span becomes a child of."""

    trace_id: int
    span_id: int
    sampled: bool
    tracestate: str | None


# version "-" trace-id "-" parent-id "-" flags; a later version may append "-" fields,
# version 00 may not (checked below). Lower-case hex only.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


def parse(headers: Mapping[str, str]) -> Parent | None:
    """The trace context of a request's headers (lower-case names), or None when there is
    none or it is invalid."""
    value = headers.get(TRACEPARENT)
    if value is None:
        return None
    found = _TRACEPARENT.fullmatch(value.strip())
    if found is None:
        return None
    version, trace, span, flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    trace_id, span_id = int(trace, 16), int(span, 16)
    if not (trace_id and span_id):  # all zeros: the invalid IDs
        return None
    return Parent(trace_id, span_id, bool(int(flags, 16) & 1), _tracestate(headers))


def _tracestate(headers: Mapping[str, str]) -> str | None:
    value = headers.get(TRACESTATE)
    if not value or len(value) > _MAX_TRACESTATE:
        return None
    if not _PRINTABLE.fullmatch(value):  # no CR/LF or other control characters
        return None
    return value


def format_traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    """The version-00 ``traceparent`` naming ``span_id`` in ``trace_id``."""
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"
