"""The hand-written OTLP trace export (router.otel_wire) is what opentelemetry-proto's own
message classes build: parsed back with them, every field is there with its value."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from inferplane.router.otel_wire import CLIENT, SERVER, FinishedSpan, SpanEncoder

SHARED = (("http.request.method", "POST"), ("http.route", "/v1/chat/completions"))
EXTRA = (
    ("http.response.status_code", 503),
    ("inferplane.cached", False),
    ("inferplane.ok", True),
    ("inferplane.offset", -3),  # int64: ten-byte two's complement
    ("big", 2**40),
    ("inferplane.request_id", "ab" * 8),
    ("unicode", "zürich ✓"),
)
TRACE = 0x4BF92F3577B34DA6A3CE929D0E0E4736


def key_value(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def test_the_bytes_parse_to_the_messages_the_proto_classes_build() -> None:
    resource = Resource(attributes=[key_value("service.name", "inferplane-router")])
    scope = InstrumentationScope(name="inferplane.router", version="1.2.3")
    encoder = SpanEncoder(resource.SerializeToString(), scope.SerializeToString())
    spans = [
        FinishedSpan("POST /v1/chat/completions", SERVER, TRACE, 7, 0x00F067AA0BA902B7,
                     1_700_000_000_000_000_000, 1_700_000_000_123_456_789, SHARED, EXTRA,
                     "all_targets_failed"),
        FinishedSpan("chat m", CLIENT, TRACE, 2**64 - 1, 7, 1, 2, SHARED),
        FinishedSpan("chat root", CLIENT, 1, 1, 0, 0, 2**64 - 1, ()),  # a root span
    ]  # fmt: skip

    # Twice: the second time from the encoder's caches.
    for _ in range(2):
        parsed = ExportTraceServiceRequest.FromString(encoder.request(spans))

        expected = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=resource,
                    scope_spans=[
                        ScopeSpans(
                            scope=scope,
                            spans=[
                                Span(
                                    trace_id=TRACE.to_bytes(16, "big"),
                                    span_id=(7).to_bytes(8, "big"),
                                    parent_span_id=(0x00F067AA0BA902B7).to_bytes(8, "big"),
                                    name="POST /v1/chat/completions",
                                    kind=Span.SPAN_KIND_SERVER,
                                    start_time_unix_nano=1_700_000_000_000_000_000,
                                    end_time_unix_nano=1_700_000_000_123_456_789,
                                    attributes=[key_value(k, v) for k, v in SHARED + EXTRA],
                                    status=Status(
                                        code=Status.STATUS_CODE_ERROR,
                                        message="all_targets_failed",
                                    ),
                                ),
                                Span(
                                    trace_id=TRACE.to_bytes(16, "big"),
                                    span_id=(2**64 - 1).to_bytes(8, "big"),
                                    parent_span_id=(7).to_bytes(8, "big"),
                                    name="chat m",
                                    kind=Span.SPAN_KIND_CLIENT,
                                    start_time_unix_nano=1,
                                    end_time_unix_nano=2,
                                    attributes=[key_value(k, v) for k, v in SHARED],
                                ),
                                Span(
                                    trace_id=(1).to_bytes(16, "big"),
                                    span_id=(1).to_bytes(8, "big"),
                                    name="chat root",
                                    kind=Span.SPAN_KIND_CLIENT,
                                    start_time_unix_nano=0,
                                    end_time_unix_nano=2**64 - 1,
                                ),
                            ],
                        )
                    ],
                )
            ]
        )
        assert parsed == expected
