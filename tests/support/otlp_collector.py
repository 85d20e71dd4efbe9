"""An OTLP/gRPC collector in this process (the real service definitions from
``opentelemetry-proto``, served by grpcio on 127.0.0.1) that keeps what it receives, for
tests that run a router process with telemetry on.

    with OtlpCollector() as collector:
        collector.endpoint          # http://127.0.0.1:PORT
        collector.spans()           # [Span]: every exported span
        collector.metrics()         # {name: [data point]}: histogram points by metric
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from inferplane.smoke.server import Running

SPAN_KIND_SERVER, SPAN_KIND_CLIENT = 2, 3
"""OTLP's Span.SpanKind values for the router's server span and an upstream attempt's."""

__all__ = ["OtlpCollector", "attributes"]

grpc: Any = importlib.import_module("grpc")  # grpcio ships no type hints


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def attributes(pairs: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` list -> dict."""
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _keeper(
    servicer: type, kept: list[Any], response: Callable[[], Any], lock: threading.Lock
) -> Any:
    """A ``servicer`` (traces or metrics) whose ``Export`` keeps each request in ``kept``
    and answers an empty ``response``."""

    def export(_self: object, request: Any, _context: object) -> Any:
        with lock:
            kept.append(request)
        return response()

    return type(f"Kept{servicer.__name__}", (servicer,), {"Export": export})()


class OtlpCollector(Running):
    def __init__(self) -> None:
        self.trace_requests: list[trace_pb2.ExportTraceServiceRequest] = []
        self.metric_requests: list[metrics_pb2.ExportMetricsServiceRequest] = []
        self._lock = threading.Lock()
        traces = _keeper(
            trace_grpc.TraceServiceServicer,
            self.trace_requests,
            trace_pb2.ExportTraceServiceResponse,
            self._lock,
        )
        metrics = _keeper(
            metrics_grpc.MetricsServiceServicer,
            self.metric_requests,
            metrics_pb2.ExportMetricsServiceResponse,
            self._lock,
        )
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        # The generated registration functions are untyped.
        add_traces: Any = trace_grpc.add_TraceServiceServicer_to_server
        add_metrics: Any = metrics_grpc.add_MetricsServiceServicer_to_server
        add_traces(traces, self._server)
        add_metrics(metrics, self._server)
        self.port: int = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spans(self) -> list[Any]:
        with self._lock:
            return [
                span
                for request in self.trace_requests
                for resource in request.resource_spans
                for scope in resource.scope_spans
                for span in scope.spans
            ]

    def resources(self) -> list[dict[str, Any]]:
        with self._lock:
            found = [r.resource for q in self.trace_requests for r in q.resource_spans]
            found += [r.resource for q in self.metric_requests for r in q.resource_metrics]
        return [attributes(resource.attributes) for resource in found]

    def metrics(self) -> dict[str, list[Any]]:
        """Histogram data points by metric name, from the latest export that has the metric
        (the SDK exports cumulative histograms: the latest holds everything)."""
        found: dict[str, list[Any]] = {}
        with self._lock:
            for request in self.metric_requests:
                for resource in request.resource_metrics:
                    for scope in resource.scope_metrics:
                        for metric in scope.metrics:
                            found[metric.name] = list(metric.histogram.data_points)
        return found

    def wait_for(self, predicate: Any, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"the collector did not receive it in {timeout_s}s")
            time.sleep(0.05)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)
