"""GenAI telemetry over OTLP/gRPC (OpenTelemetry GenAI semantic conventions).

Imported only when an endpoint is configured (``router.telemetry``). For each API request
a SERVER span ``{method} {route}`` (a child of the client's span when the request carries
a W3C ``traceparent``: ``router.otel_trace``), and for each upstream attempt a CLIENT span
``{gen_ai.operation.name} {gen_ai.request.model}``, a child of the server span, from the
attempt's start to the answer's last byte (a failed or refused attempt's span ends with
it, with ``error.type``); the attempt sends its span's ``traceparent`` upstream. And these
histograms:

    gen_ai.client.operation.duration     s        every upstream operation
    gen_ai.client.token.usage            {token}  input and output (gen_ai.token.type)
    gen_ai.server.time_to_first_token    s        streamed answers: upstream call to 1st block
    gen_ai.server.time_per_output_token  s        streamed answers: after the first token

Attributes: ``gen_ai.operation.name`` (chat, text_completion, embeddings),
``gen_ai.provider.name`` (the convention's well-known names, by backend),
``gen_ai.request.model`` (the model the client asked for, if the config knows the name,
else ``_OTHER``: a client must not choose the metrics' cardinality),
``gen_ai.response.model`` (the model ID the target was called with),
``gen_ai.usage.input_tokens`` / ``output_tokens`` (span), ``server.address`` /
``server.port`` of the target, ``error.type`` when the attempt failed (its code, as in
``inferplane_attempts_total``) or the stream broke, and ``inferplane.target`` /
``inferplane.route``. Answers from a cache made no upstream call: their server span says
``inferplane.cached`` and they have no client span or histogram points.

Spans are queued after the fact with explicit timestamps (nothing per chunk) and encoded
in batches off the event loop (``router.genai_spans``); metrics aggregate in memory
between exports (``router.genai_metrics``). Both queues are bounded and a failed export
is dropped: a failing collector cannot grow memory or slow the request path. The SDK's
span and histogram objects are not used on the request path: through them, telemetry
cost ~100 µs of CPU per request, about what a bare aiohttp pass-through spends in all.
"""

from __future__ import annotations

import time
from random import getrandbits
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.version import __version__ as sdk_version

from .genai_metrics import Attributes, GenAIHistogram, HistogramExport
from .genai_spans import SpanExport
from .otel_context import parse
from .otel_trace import ServerTrace
from .otel_wire import CLIENT, FinishedSpan

if TYPE_CHECKING:
    from .backends import Usage
    from .config import RouterConfig, TargetConfig
    from .pipeline.call import Call
    from .pipeline.wire import Request

__all__ = ["PROVIDERS", "GenAITelemetry", "operation_name"]

PROVIDERS = {
    "openai": "openai",  # OpenAI and OpenAI-compatible servers (vLLM, TGI, Ollama...)
    "lambda_url": "openai",  # an OpenAI-compatible API behind a Lambda function URL
    "azure_openai": "azure.ai.openai",
    "anthropic": "anthropic",
    "bedrock": "aws.bedrock",
    "vertex": "gcp.vertex_ai",
    "sagemaker": "aws.sagemaker",
}
"""Backend -> ``gen_ai.provider.name``."""
OTHER = "_OTHER"
_INPUT = ("gen_ai.token.type", "input")
_OUTPUT = ("gen_ai.token.type", "output")
SCOPE = "inferplane.router"

# The conventions' recommended bucket boundaries.
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48)
_TOKEN_BUCKETS = tuple(float(4**n) for n in range(14))  # 1, 4, 16 ... 67108864
_TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5)
_BROKEN = "the stream broke after it started"
_TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)


def operation_name(body: dict[str, object]) -> str:
    """The GenAI operation of an upstream body: other APIs arrive translated to chat."""
    if "messages" in body:
        return "chat"
    if "prompt" in body:
        return "text_completion"
    return "embeddings"


class GenAITelemetry:
    """Spans and metrics of the router's upstream operations, exported over OTLP/gRPC."""

    def __init__(self, config: RouterConfig, endpoint: str) -> None:
        settings = config.telemetry
        resource = Resource.create(
            {
                "service.name": settings.service_name,
                "deployment.environment.name": config.environment,
                "inferplane.stack": config.stack,
            }
        )
        insecure = endpoint.startswith("http://")
        self._spans = SpanExport(endpoint, resource.attributes, SCOPE, sdk_version)
        self._duration = GenAIHistogram(
            "gen_ai.client.operation.duration", "s", "GenAI operation duration", _DURATION_BUCKETS
        )
        self._tokens = GenAIHistogram(
            "gen_ai.client.token.usage",
            "{token}",
            "Number of input and output tokens used",
            _TOKEN_BUCKETS,
        )
        self._ttft = GenAIHistogram(
            "gen_ai.server.time_to_first_token",
            "s",
            "Time to generate first token for successful responses",
            _TTFT_BUCKETS,
        )
        self._tpot = GenAIHistogram(
            "gen_ai.server.time_per_output_token",
            "s",
            "Time per output token generated after the first token for successful responses",
            _TPOT_BUCKETS,
        )
        self._export = HistogramExport(
            (self._duration, self._tokens, self._ttft, self._tpot),
            OTLPMetricExporter(endpoint=endpoint, insecure=insecure),
            resource,
            SCOPE,
            settings.export_interval_s,
        )
        self._known_models = _known_models(config)
        self._targets = {name: _TargetAttributes(name, t) for name, t in config.targets.items()}
        self._attribute_sets: dict[tuple[str, str, str, str, str | None], Attributes] = {}

    def begin(self, request: Request, request_id: str, known: bool) -> ServerTrace | None:
        """The trace of an API request (POST), joining the client's trace if it sent one;
        ``known``: the path is one of the router's endpoints."""
        if request.method != "POST":
            return None
        parent = parse(request.headers)
        return ServerTrace(self._spans, self, request, request_id, known=known, parent=parent)

    def attempt_failed(
        self, call: Call, target: str, span: FinishedSpan, error: str
    ) -> FinishedSpan:
        operation, requested = self._operation(call)
        attributes = self._attributes(target, operation, requested, call.decision.route.name, error)
        self._duration.record((span.end_ns - span.start_ns) / 1e9, attributes)
        return FinishedSpan(
            f"{operation} {requested}",
            CLIENT,
            span.trace_id,
            span.span_id,
            span.parent_id,
            span.start_ns,
            span.end_ns,
            attributes,
            error=error,
        )

    def _operation(self, call: Call) -> tuple[str, str]:
        requested = call.chat.model if call.chat.model in self._known_models else OTHER
        return operation_name(call.body), requested

    def record(self, call: Call, target: str, status: int, usage: Usage, cached: bool) -> None:
        failed = status >= 400  # only a stream that broke after its first byte (sent 200)
        error = "stream_interrupted" if failed else None
        trace: ServerTrace | None = call.trace
        if not cached:
            self._upstream(call, trace, target, usage, error)
        if trace is not None:  # after its last client span ended
            trace.route = call.decision.route.name
            answered = (("inferplane.target", target), ("inferplane.cached", cached))
            trace.close(200, answered, error)

    def _upstream(
        self, call: Call, trace: ServerTrace | None, target: str, usage: Usage, error: str | None
    ) -> None:
        """The answering attempt's histogram points and client span."""
        failed = error is not None
        ended = time.perf_counter()
        operation, requested = self._operation(call)
        attributes = self._attributes(target, operation, requested, call.decision.route.name, error)
        duration = ended - call.upstream_started
        self._duration.record(duration, attributes)
        if usage.prompt_tokens:
            self._tokens.record(usage.prompt_tokens, (*attributes, _INPUT))
        if usage.completion_tokens:
            self._tokens.record(usage.completion_tokens, (*attributes, _OUTPUT))
        if call.first_token_at and not failed:
            self._ttft.record(call.first_token_at - call.upstream_started, attributes)
            if usage.completion_tokens > 1:
                per_token = (ended - call.first_token_at) / (usage.completion_tokens - 1)
                self._tpot.record(per_token, attributes)
        name = f"{operation} {requested}"
        self._span(trace, name, attributes, duration=duration, usage=usage, error=error)

    def _attributes(
        self, target: str, operation: str, requested: str, route: str, error: str | None
    ) -> Attributes:
        """The attribute set of a record, built once per distinct combination (all come
        from the config and the error codes, so there are few)."""
        key = (target, operation, requested, route, error)
        found = self._attribute_sets.get(key)
        if found is None:
            pairs: dict[str, str | int] = {
                **self._targets[target].attributes,
                "gen_ai.operation.name": operation,
                "gen_ai.request.model": requested,
                "inferplane.route": route,
            }
            if error is not None:
                pairs["error.type"] = error
            found = self._attribute_sets[key] = tuple(pairs.items())
        return found

    def _span(
        self,
        trace: ServerTrace | None,
        name: str,
        attributes: Attributes,
        *,
        duration: float,
        usage: Usage,
        error: str | None,
    ) -> None:
        """The answering attempt's client span (a root span for a call made outside a
        traced request)."""
        end = time.time_ns()
        tokens: Attributes = (
            ("gen_ai.usage.input_tokens", usage.prompt_tokens),
            ("gen_ai.usage.output_tokens", usage.completion_tokens),
        )
        status = _BROKEN if error is not None else None
        if trace is not None and trace.answering[0]:
            span_id, start = trace.answering
            trace.add(
                FinishedSpan(
                    name, CLIENT, trace.trace_id, span_id, trace.span_id, start, end,
                    attributes, tokens, status,
                )
            )  # fmt: skip
        else:
            start = end - int(duration * 1e9)
            ids = (getrandbits(128) or 1, getrandbits(64) or 1, 0)  # a root span
            span = FinishedSpan(name, CLIENT, *ids, start, end, attributes, tokens, status)
            self._spans.add(span)

    def shutdown(self) -> None:
        self._spans.shutdown()
        self._export.shutdown()


class _TargetAttributes:
    """The attributes a target contributes to every record (computed once)."""

    def __init__(self, name: str, target: TargetConfig) -> None:
        self.attributes: dict[str, str | int] = {
            "gen_ai.provider.name": PROVIDERS.get(target.backend, target.backend),
            "gen_ai.response.model": target.model,
            "inferplane.target": name,
        }
        if target.url:
            address = urlsplit(target.url)
            if address.hostname:
                self.attributes["server.address"] = address.hostname
                self.attributes["server.port"] = address.port or _default_port(address.scheme)
        elif target.region and target.backend in _REGIONAL_HOSTS:
            host = _REGIONAL_HOSTS[target.backend].format(region=target.region)
            self.attributes["server.address"] = host


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


_REGIONAL_HOSTS = {
    "bedrock": "bedrock-runtime.{region}.amazonaws.com",
    "sagemaker": "runtime.sagemaker.{region}.amazonaws.com",
}
"""The API host of a backend the router calls through an SDK, by region."""


def _known_models(config: RouterConfig) -> frozenset[str]:
    """Names a client may ask for that the config knows: aliases, targets, model IDs."""
    names = {route.match.alias for route in config.routes if route.match.alias}
    names |= set(config.targets)
    names |= {target.model for target in config.targets.values()}
    return frozenset(names)
