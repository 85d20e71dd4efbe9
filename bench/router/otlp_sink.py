"""An OTLP/gRPC sink for the benchmark's "OTel on" router: accepts trace and metric
exports and drops them, in its own process so its CPU is not counted as the router's.

    python -m bench.router.otlp_sink --port PORT
"""

from __future__ import annotations

import argparse
import importlib
import signal
from concurrent import futures
from typing import Any

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as metrics_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as trace_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace_grpc

grpc: Any = importlib.import_module("grpc")  # grpcio ships no type hints


class Traces(trace_grpc.TraceServiceServicer):
    def Export(
        self, request: trace_pb2.ExportTraceServiceRequest, context: object
    ) -> trace_pb2.ExportTraceServiceResponse:
        return trace_pb2.ExportTraceServiceResponse()


class Metrics(metrics_grpc.MetricsServiceServicer):
    def Export(
        self, request: metrics_pb2.ExportMetricsServiceRequest, context: object
    ) -> metrics_pb2.ExportMetricsServiceResponse:
        return metrics_pb2.ExportMetricsServiceResponse()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.router.otlp_sink")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    add_traces: Any = trace_grpc.add_TraceServiceServicer_to_server  # untyped, generated
    add_metrics: Any = metrics_grpc.add_MetricsServiceServicer_to_server
    add_traces(Traces(), server)
    add_metrics(Metrics(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    signal.signal(signal.SIGTERM, lambda *_: server.stop(grace=None))
    server.wait_for_termination()


if __name__ == "__main__":
    main()
