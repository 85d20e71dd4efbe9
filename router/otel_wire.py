"""OTLP trace export requests written as protobuf bytes by hand.

Building ``Span``/``KeyValue`` protobuf objects cost ~13 µs per client span and ~20 µs per
server span here (the export thread's CPU is the router process's CPU): more than the
rest of the telemetry. Every span the router exports has the same few fields, so they
are written straight in the wire format (field numbers from ``opentelemetry-proto``'s
``trace.proto``/``common.proto``; a test parses the bytes with the real message classes),
with each shared attribute set, and each attribute pair of few values, encoded once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

from .genai_metrics import Attributes

__all__ = [
    "CLIENT",
    "SERVER",
    "UNIQUE",
    "FinishedSpan",
    "SpanEncoder",
    "key_value",
    "length_delimited",
    "varint",
]

SERVER, CLIENT = 2, 3
"""``Span.SpanKind`` values."""


class FinishedSpan(NamedTuple):
    """One span, recorded after it ended; encoded later, off the event loop (a tuple: a
    frozen dataclass costs ~2 µs more to build, on the request path)."""

    name: str
    kind: int
    """``SERVER`` or ``CLIENT``."""
    trace_id: int
    span_id: int
    parent_id: int
    """0: a root span."""
    start_ns: int
    end_ns: int
    attributes: Attributes
    """One of few shared sets (encoded once per set)."""
    extra: Attributes = ()
    """This span's own attributes (token counts, status code, request id)."""
    error: str | None = None
    """Set: the span's status is ERROR with this message."""


# Field tags: (number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
_TRACE_ID, _SPAN_ID, _PARENT_ID = b"\x0a\x10", b"\x12\x08", b"\x22\x08"  # bytes, fixed sizes
_NAME, _KIND, _START, _END = 5, b"\x30", b"\x39", b"\x41"
_ATTRIBUTE, _STATUS = 9, 15
_STATUS_ERROR = b"\x18\x02"  # Status.code = STATUS_CODE_ERROR
_FIXED64 = struct.Struct("<Q")
_TAGS = {n: bytes((n << 3 | 2,)) for n in range(1, 16)}
"""The one-byte tags of length-delimited fields 1-15 (every one written here)."""
_PAIRS_CACHED = 4096
"""At most this many distinct attribute pairs are kept encoded (the values are the
config's and the error codes: few)."""
UNIQUE = frozenset(
    {"inferplane.request_id", "url.path", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"}
)
"""Attributes whose value differs from span to span: never cached."""


_ONE_BYTE = tuple(bytes((n,)) for n in range(0x80))


def varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]  # most lengths, kinds and small numbers
    if value < 0:  # int64: two's complement, ten bytes
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_delimited(number: int, data: bytes) -> bytes:
    return _TAGS[number] + varint(len(data)) + data


def key_value(key: str, value: object) -> bytes:
    """One ``KeyValue`` (as a ``Span.attributes`` entry): bool, int64 or string."""
    if isinstance(value, bool):
        any_value = b"\x10\x01" if value else b"\x10\x00"
    elif isinstance(value, int):
        any_value = b"\x18" + varint(value)
    else:
        any_value = length_delimited(1, str(value).encode())
    pair = length_delimited(1, key.encode()) + length_delimited(2, any_value)
    return length_delimited(_ATTRIBUTE, pair)


class SpanEncoder:
    """Encodes finished spans (``router.genai_spans.FinishedSpan``) for one resource and
    instrumentation scope; used by the export thread only."""

    def __init__(self, resource: bytes, scope: bytes) -> None:
        """``resource``/``scope``: the serialized ``Resource`` and ``InstrumentationScope``."""
        self._head = length_delimited(1, resource)
        self._scope = length_delimited(1, scope)
        self._sets: dict[Attributes, bytes] = {}
        self._pairs: dict[tuple[str, type, str | int], bytes] = {}

    def request(self, spans: Iterable[FinishedSpan]) -> bytes:
        """The serialized ``ExportTraceServiceRequest`` of ``spans``."""
        encoded = b"".join(self.span(span) for span in spans)
        return length_delimited(1, self._head + length_delimited(2, self._scope + encoded))

    def span(self, span: FinishedSpan) -> bytes:
        """One ``Span``, as a ``ScopeSpans.spans`` entry."""
        parts = [
            _TRACE_ID + span.trace_id.to_bytes(16, "big"),
            _SPAN_ID + span.span_id.to_bytes(8, "big"),
            _PARENT_ID + span.parent_id.to_bytes(8, "big") if span.parent_id else b"",
            length_delimited(_NAME, span.name.encode()),
            _KIND + varint(span.kind),
            _START + _FIXED64.pack(span.start_ns),
            _END + _FIXED64.pack(span.end_ns),
            self._set(span.attributes),
        ]
        parts += [self._pair(k, v) for k, v in span.extra]
        if span.error is not None:
            status = length_delimited(2, span.error.encode()) + _STATUS_ERROR
            parts.append(length_delimited(_STATUS, status))
        return length_delimited(2, b"".join(parts))

    def _set(self, attributes: Attributes) -> bytes:
        found = self._sets.get(attributes)
        if found is None:
            found = self._sets[attributes] = b"".join(key_value(k, v) for k, v in attributes)
        return found

    def _pair(self, key: str, value: str | int) -> bytes:
        if key in UNIQUE:
            return key_value(key, value)
        cached = (key, type(value), value)  # the type: True == 1 in a dict key
        found = self._pairs.get(cached)
        if found is None:
            found = key_value(key, value)
            if len(self._pairs) < _PAIRS_CACHED:
                self._pairs[cached] = found
        return found
