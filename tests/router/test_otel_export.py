"""A router process with telemetry on exports GenAI spans and metrics over OTLP/gRPC to a
collector (an in-process fake serving the real OTLP service definitions), flushing them
when it stops; measured against an upstream that paces its tokens 30 ms apart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from inferplane.router.contract import CONFIG_ENV
from inferplane.router.telemetry import ENDPOINT_ENV
from tests.support.otlp_collector import (
    SPAN_KIND_CLIENT,
    SPAN_KIND_SERVER,
    OtlpCollector,
    attributes,
)
from tests.support.paced_upstream import PacedUpstream
from tests.support.routersource import site_config_json

ROOT = Path(__file__).resolve().parents[2]
CHUNKS, INTERVAL_S = 10, 0.03
GENAI_METRICS = {
    "gen_ai.client.operation.duration",
    "gen_ai.client.token.usage",
    "gen_ai.server.time_to_first_token",
    "gen_ai.server.time_per_output_token",
}


def with_telemetry(upstream_url: str, **telemetry: Any) -> str:
    config = json.loads(site_config_json(upstream_url))
    return json.dumps({**config, "telemetry": telemetry})


def free_port() -> int:
    from inferplane.smoke.redis import free_port as port

    return port()


def serve(config: str, port: int, **env: str) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "router", "--port", str(port)],
        cwd=ROOT,
        env={**clean, CONFIG_ENV: config, **env},
        stderr=subprocess.PIPE,
    )
    for _ in range(400):
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1].decode())
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("router did not start")


def chat(port: int, *, stream: bool) -> str:
    body = {
        "model": "fake-model",
        "messages": [{"role": "user", "content": f"stream={stream}"}],
        "stream": stream,
    }
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=30) as response:
        assert response.status_code == 200
        return response.read().decode()


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()


@pytest.mark.parametrize("configured_by", ["config", "environment"])
def test_router_exports_genai_spans_and_metrics(configured_by: str) -> None:
    with OtlpCollector() as collector, PacedUpstream(CHUNKS, INTERVAL_S) as upstream:
        port = free_port()
        if configured_by == "config":
            process = serve(
                with_telemetry(upstream.base_url, otlp_endpoint=collector.endpoint), port
            )
        else:
            config = site_config_json(upstream.base_url)
            process = serve(config, port, **{ENDPOINT_ENV: collector.endpoint})
        try:
            chat(port, stream=False)
            assert chat(port, stream=True).rstrip().endswith("data: [DONE]")
        finally:
            stop(process)
        collector.wait_for(lambda: len(collector.spans()) == 4)  # a server and a client span each
        collector.wait_for(lambda: set(collector.metrics()) >= GENAI_METRICS)
        spans, metrics = collector.spans(), collector.metrics()
        upstream_port = int(upstream.base_url.split(":")[2].split("/")[0])

    expected = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "fake-model",
        "gen_ai.response.model": "fake-model",
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": CHUNKS + 1,
        "server.address": "127.0.0.1",
        "server.port": upstream_port,
        "inferplane.target": "local",
        "inferplane.route": "default",
    }
    clients = [span for span in spans if span.kind == SPAN_KIND_CLIENT]
    servers = {span.span_id: span for span in spans if span.kind == SPAN_KIND_SERVER}
    assert [attributes(span.attributes) for span in clients] == [expected, expected]
    assert {span.name for span in clients} == {"chat fake-model"}
    assert {span.name for span in servers.values()} == {"POST /v1/chat/completions"}
    # The JSON answer waits for the whole paced answer; both last at least that long.
    for span in clients:
        assert (span.end_time_unix_nano - span.start_time_unix_nano) / 1e9 >= CHUNKS * INTERVAL_S
        server = servers[span.parent_span_id]  # each client span is its request's child
        assert (server.trace_id, server.parent_span_id) == (span.trace_id, b"")
    assert {"service.name": "inferplane-router"}.items() <= collector.resources()[0].items()

    assert set(metrics) >= GENAI_METRICS
    [duration] = metrics["gen_ai.client.operation.duration"]
    assert duration.count == 2
    tokens = {
        attributes(point.attributes)["gen_ai.token.type"]: (point.count, point.sum)
        for point in metrics["gen_ai.client.token.usage"]
    }
    assert tokens == {"input": (2, 14), "output": (2, 2 * (CHUNKS + 1))}
    [ttft] = metrics["gen_ai.server.time_to_first_token"]  # streamed answers only
    [per_token] = metrics["gen_ai.server.time_per_output_token"]
    assert ttft.count == per_token.count == 1
    assert ttft.sum < CHUNKS * INTERVAL_S / 2  # the first token came at once
    assert 0.6 * INTERVAL_S < per_token.sum < 3 * INTERVAL_S  # the upstream's pace
    assert attributes(ttft.attributes) == {
        k: v for k, v in expected.items() if not k.startswith("gen_ai.usage")
    }
