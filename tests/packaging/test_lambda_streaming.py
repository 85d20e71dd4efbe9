"""The router on Lambda streams (issue 15): the real deployment zip, unpacked with its
modes, run as Lambda runs it with the function's handler and environment as the real
RouterService renders them, under a fake of the Lambda Web Adapter
(``inferplane.smoke.lambda_runtime``, which ``inferplane router smoke`` drives too),
against an upstream that sends its first token at once and 20 more 50 ms apart. Time to
first byte must be a small part of the whole answer's time; through the old path
(``lambda_entry.handler`` behind a BUFFERED URL) the first byte comes with the last, so
the same check fails there. With an OTLP endpoint in its environment the same packaged
router exports its GenAI telemetry: the zip carries what ``router.otel`` imports (the
OpenTelemetry SDK, the gRPC exporter, grpcio)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from inferplane.components.base import Labels
from inferplane.components.router import CONFIG_ENV
from inferplane.components.router.aws_lambda import LambdaRouter, LambdaRouterArgs
from inferplane.packaging.lambda_zip import LambdaPackage
from inferplane.smoke.lambda_runtime import WebAdapterRuntime, unpack
from tests.support.lambda_runtime import BufferedRuntime
from tests.support.otlp_collector import (
    SPAN_KIND_CLIENT,
    SPAN_KIND_SERVER,
    OtlpCollector,
    attributes,
)
from tests.support.paced_upstream import PacedUpstream
from tests.support.recording import only, record
from tests.support.routersource import site_config_json

pytestmark = pytest.mark.slow

LABELS = Labels("dev", "ml-platform", "cc-4711", "us", "internal", "router")
CHUNKS, INTERVAL_S = 20, 0.05
STREAMED = 0.25
"""Time to first byte over the whole answer's time, at most, for an answer that streams."""
CHAT = {
    "model": "fake-model",
    "messages": [{"role": "user", "content": "count"}],
    "stream": True,
}
Invoke = Callable[[str, str, Mapping[str, str], bytes], Iterator[bytes]]


def rendered_function(config_json: str) -> dict[str, Any]:
    """The router's Lambda function as RouterService renders it for this config."""
    graph = record(
        lambda: LambdaRouter(
            "router",
            LambdaRouterArgs(
                config_json=config_json,
                labels=LABELS,
                region="us-east-1",
                code=pulumi.FileArchive("router.zip"),
                architecture="x86_64",
            ),
        )
    )
    return only(graph, "aws:lambda/function:Function").inputs


def timed(invoke: Invoke, body: dict[str, Any]) -> tuple[float, float, bytes]:
    """(time to first byte, time to last byte, body) of one invocation."""
    started = time.perf_counter()
    first: float | None = None
    received = b""
    headers = {"content-type": "application/json"}
    for chunk in invoke("POST", "/v1/chat/completions", headers, json.dumps(body).encode()):
        if chunk and first is None:
            first = time.perf_counter() - started
        received += chunk
    total = time.perf_counter() - started
    assert first is not None, "no body"
    return first, total, received


def check_answer(body: bytes, upstream: PacedUpstream) -> None:
    events = [line[6:] for line in body.decode().splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    tokens = [
        choice["delta"].get("content", "")
        for event in events[:-1]
        for choice in json.loads(event)["choices"]
    ]
    assert "".join(tokens) == upstream.answer


def test_router_streams_through_the_web_adapter(host_zip: LambdaPackage, tmp_path: Path) -> None:
    task = unpack(host_zip.path, tmp_path / "task")
    with PacedUpstream(CHUNKS, INTERVAL_S) as upstream:
        function = rendered_function(site_config_json(upstream.base_url))
        assert function["handler"] == host_zip.handler
        environment = function["environment"]["variables"]
        with WebAdapterRuntime(task, function["handler"], environment, tmp_path) as runtime:
            first, total, body = timed(runtime.invoke, CHAT)
    check_answer(body, upstream)
    assert total >= CHUNKS * INTERVAL_S
    print(f"web adapter, response_stream: first byte {first:.3f}s of {total:.3f}s")
    assert first / total < STREAMED, (first, total)


def test_buffered_paths_would_fail_the_same_check(host_zip: LambdaPackage, tmp_path: Path) -> None:
    """The check can fail: the old handler, and the adapter in buffered mode, deliver the
    first byte with the last."""
    task = unpack(host_zip.path, tmp_path / "task")
    with PacedUpstream(CHUNKS, INTERVAL_S) as upstream:
        config = site_config_json(upstream.base_url)
        with BufferedRuntime(task, {CONFIG_ENV: config}, tmp_path / "old") as old:
            first, total, body = timed(old.invoke, CHAT)
        check_answer(body, upstream)
        assert first / total > 0.9, (first, total)
        environment = {
            **rendered_function(config)["environment"]["variables"],
            "AWS_LWA_INVOKE_MODE": "buffered",
        }
        with WebAdapterRuntime(task, "run.sh", environment, tmp_path / "lwa") as runtime:
            first, total, body = timed(runtime.invoke, CHAT)
        check_answer(body, upstream)
        assert first / total > 0.9, (first, total)


def test_packaged_router_exports_telemetry_when_switched_on(
    host_zip: LambdaPackage, tmp_path: Path
) -> None:
    task = unpack(host_zip.path, tmp_path / "task")
    with OtlpCollector() as collector, PacedUpstream(CHUNKS, INTERVAL_S) as upstream:
        function = rendered_function(site_config_json(upstream.base_url))
        environment = {
            **function["environment"]["variables"],
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        }
        with WebAdapterRuntime(task, function["handler"], environment, tmp_path) as runtime:
            first, total, body = timed(runtime.invoke, CHAT)
        # Stopped (SIGTERM, as at the environment's shutdown): the router flushed.
        collector.wait_for(lambda: len(collector.spans()) == 2)  # the server's and the attempt's
        collector.wait_for(lambda: "gen_ai.server.time_to_first_token" in collector.metrics())
        server, span = sorted(collector.spans(), key=lambda s: s.kind)
        metrics = collector.metrics()
    check_answer(body, upstream)
    assert first / total < STREAMED
    assert (server.kind, span.kind) == (SPAN_KIND_SERVER, SPAN_KIND_CLIENT)
    assert span.parent_span_id == server.span_id
    assert span.name == "chat fake-model"
    assert attributes(span.attributes)["gen_ai.usage.output_tokens"] == CHUNKS + 1
    [ttft] = metrics["gen_ai.server.time_to_first_token"]
    assert ttft.count == 1
