"""Telemetry is free when off (the SDK is never imported), on when an OTLP endpoint is
configured, and a bad setting is an error naming it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from inferplane.router.config import Backend, RouterConfig
from inferplane.router.errors import ConfigError
from inferplane.router.telemetry import NO_TELEMETRY, TelemetryConfig, otlp_endpoint
from tests.support.otlp_collector import OtlpCollector
from tests.support.routersource import site_config_json

ROOT = Path(__file__).resolve().parents[2]

# A router core answering a JSON and a streamed chat from a paced upstream, then listing
# the opentelemetry modules its process loaded.
DRIVER = r"""
import asyncio, json, sys
from inferplane.router.config import RouterConfig
from inferplane.router.core import Gateway, Request
from tests.support.paced_upstream import PacedUpstream
from tests.support.routersource import site_config_json

async def main(url):
    gateway = Gateway(RouterConfig.from_json(site_config_json(url)))
    await gateway.start()
    for stream in (False, True):
        body = {"model": "fake-model", "messages": [{"role": "user", "content": str(stream)}],
                "stream": stream}
        headers = {"content-type": "application/json"}
        response = await gateway.handle(Request("POST", "/v1/chat/completions", headers,
                                                json.dumps(body).encode()))
        assert response.status == 200, response.body
        if response.stream is not None:
            async for _ in response.stream:
                pass
    await gateway.close()

with PacedUpstream(3, 0.0) as upstream:
    asyncio.run(main(upstream.base_url))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")))
"""


def loaded_otel_modules(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_off_imports_no_opentelemetry() -> None:
    assert loaded_otel_modules() == []


def test_on_loads_the_sdk_and_the_exporter() -> None:
    with OtlpCollector() as collector:
        loaded = loaded_otel_modules(OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint)
    assert {
        "opentelemetry.sdk.metrics",
        "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
        "opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc",
    } <= set(loaded)


def test_gateway_without_an_endpoint_has_no_telemetry() -> None:
    from inferplane.router.core import Gateway

    config = RouterConfig.from_json(site_config_json("http://127.0.0.1:9/v1"))
    assert otlp_endpoint(config.telemetry, {}) is None
    assert Gateway(config).accounting.telemetry is NO_TELEMETRY


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (None, {}, None),
        ("http://collector:4317", {}, "http://collector:4317"),
        (None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://c:4317"}, "https://c:4317"),
        # The config wins over the environment; OTEL_SDK_DISABLED wins over both.
        ("http://a:4317", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://b:4317"}, "http://a:4317"),
        ("http://a:4317", {"OTEL_SDK_DISABLED": "true"}, None),
    ],
)
def test_where_telemetry_goes(
    configured: str | None, environ: dict[str, str], expected: str | None
) -> None:
    assert otlp_endpoint(TelemetryConfig(otlp_endpoint=configured), environ) == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"},
            "OTEL_EXPORTER_OTLP_ENDPOINT='collector:4317' is not an OTLP/gRPC endpoint; "
            "allowed: http://HOST:PORT (plain) or https://HOST:PORT (TLS)",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            },
            "OTEL_EXPORTER_OTLP_PROTOCOL='http/protobuf': the router exports OTLP over gRPC "
            "only; allowed: grpc",
        ),
    ],
)
def test_bad_environment_is_refused_naming_it(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        otlp_endpoint(TelemetryConfig(), environ)
    assert str(raised.value) == message


def test_bad_configured_endpoint_names_the_key() -> None:
    config = json.loads(site_config_json("http://127.0.0.1:9/v1"))
    with pytest.raises(ValueError, match=r"telemetry\.otlp_endpoint") as raised:
        RouterConfig.model_validate({**config, "telemetry": {"otlp_endpoint": "grpc://c"}})
    assert "'grpc://c' is not an OTLP/gRPC endpoint" in str(raised.value)


def test_every_backend_has_a_provider_name() -> None:
    from inferplane.router.otel import PROVIDERS, operation_name

    assert set(PROVIDERS) == set(typing.get_args(Backend))
    bodies: list[dict[str, object]] = [{"messages": []}, {"prompt": "x"}, {"input": "x"}]
    assert [operation_name(body) for body in bodies] == [
        "chat",
        "text_completion",
        "embeddings",
    ]


def _dev_spec_with(router: dict[str, object]) -> object:
    from inferplane.spec import load_stack, parse_spec

    data = load_stack(ROOT, "dev").config["inferplane:spec"]
    return parse_spec(data | {"router": data["router"] | router}, "test", {"aws": "us-east-1"})


def test_stack_spec_switches_telemetry_on_in_the_rendered_config() -> None:
    from inferplane.components.base import EndpointInfo
    from inferplane.routerconfig import render_router_config

    spec: Any = _dev_spec_with({"otlp_endpoint": "https://otel.example.internal:4317"})
    endpoints = {
        n: EndpointInfo(backend="openai", model=n, url=f"http://{n}/v1") for n in spec.targets
    }
    config = render_router_config(spec, "dev", endpoints)
    assert config.telemetry == TelemetryConfig(otlp_endpoint="https://otel.example.internal:4317")
    assert RouterConfig.from_json(config.to_json()).telemetry == config.telemetry
    plain: Any = _dev_spec_with({})
    assert render_router_config(plain, "dev", endpoints).telemetry == TelemetryConfig()


def test_stack_spec_refuses_a_bad_endpoint_naming_the_key() -> None:
    from inferplane.errors import SpecError

    with pytest.raises(SpecError, match=r"router\.otlp_endpoint"):
        _dev_spec_with({"otlp_endpoint": "collector:4317"})


def test_histogram_buckets_are_upper_inclusive_and_cumulative() -> None:
    from opentelemetry.sdk.metrics.export import Histogram, HistogramDataPoint

    from inferplane.router.genai_metrics import GenAIHistogram

    histogram = GenAIHistogram("h", "s", "d", (1.0, 2.0))
    key = (("k", "v"),)
    for value in (0.5, 1.0, 1.5, 2.0, 3.0):
        histogram.record(value, key)
    histogram.record(9.0, (("k", "other"),))
    data = histogram.metric(1, 2).data
    assert isinstance(data, Histogram)
    points: dict[object, HistogramDataPoint] = {
        tuple((point.attributes or {}).items()): point for point in data.data_points
    }
    point = points[key]
    assert (point.count, point.sum, point.min, point.max) == (5, 8.0, 0.5, 3.0)
    assert list(point.bucket_counts) == [2, 2, 1]
    assert list(points[(("k", "other"),)].bucket_counts) == [0, 0, 1]
