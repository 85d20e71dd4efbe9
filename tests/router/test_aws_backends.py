"""Bedrock (botocore Stubber: moto has no Converse) and SageMaker (moto) adapters."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import orjson
import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws

from inferplane.router.backends import BackendContext, Usage
from inferplane.router.backends.bedrock import BedrockBackend
from inferplane.router.backends.sagemaker import SageMakerBackend
from inferplane.router.config import TargetConfig
from inferplane.router.core import Gateway, Request
from inferplane.router.errors import UpstreamStatusError
from tests.router import configs
from tests.router.configs import auth, chat
from tests.support.bedrock import FakeBedrock
from tests.support.images import PNG, image_part, png_url

REGION = "eu-central-1"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every test here signs with the static credentials (conftest ``aws_env``)."""


def _target(backend: str, **extra: Any) -> TargetConfig:
    return TargetConfig.model_validate(
        {
            "backend": backend,
            "model": MODEL,
            "region": REGION,
            "location": f"cloud:aws:{REGION}",
            "allowed_data_classes": ["public"],
            **extra,
        }
    )


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _collect(stream: Any) -> list[bytes]:
    return [block async for block in stream]


CONVERSE_ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hallo Welt"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
    "metrics": {"latencyMs": 100},
}


def test_bedrock_converse_maps_to_and_from_openai() -> None:
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": "there"}]},
        ],
        "max_tokens": 50,
        "temperature": 0.2,
        "stop": "END",
    }
    expected = {
        "modelId": MODEL,
        "messages": [{"role": "user", "content": [{"text": "hi"}, {"text": "there"}]}],
        "system": [{"text": "be brief"}],
        "inferenceConfig": {"maxTokens": 50, "temperature": 0.2, "stopSequences": ["END"]},
    }
    with Stubber(client) as stub:
        stub.add_response("converse", CONVERSE_ANSWER, expected)
        backend = BedrockBackend("br", _target("bedrock"), context, client=client)
        completion = _run(backend.complete(body))
    context.executor.shutdown()
    answer = orjson.loads(completion.body)
    assert answer["choices"][0]["message"]["content"] == "Hallo Welt"
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


def test_bedrock_throttling_becomes_a_429_that_falls_back() -> None:
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    with Stubber(client) as stub:
        stub.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
        backend = BedrockBackend("br", _target("bedrock"), context, client=client)
        with pytest.raises(UpstreamStatusError) as caught:
            _run(backend.complete(chat()))
    context.executor.shutdown()
    assert caught.value.upstream_status == 429
    assert caught.value.fallback
    assert not caught.value.retry


@pytest.mark.parametrize(
    ("code", "http", "status", "fallback"),
    [
        # The router's identity or the model's access: another target may well work.
        ("AccessDeniedException", 403, 503, True),
        ("ResourceNotFoundException", 404, 503, True),
        # Bedrock's 424 would read as the caller's fault; the model failed.
        ("ModelErrorException", 424, 502, True),
        ("ValidationException", 400, 400, False),
    ],
)
def test_bedrock_errors_decide_fallback(code: str, http: int, status: int, fallback: bool) -> None:
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    with Stubber(client) as stub:
        stub.add_client_error("converse", code, "no", http)
        backend = BedrockBackend("br", _target("bedrock"), context, client=client)
        with pytest.raises(UpstreamStatusError) as caught:
            _run(backend.complete(chat()))
    context.executor.shutdown()
    assert (caught.value.upstream_status, caught.value.fallback) == (status, fallback)


def test_bedrock_refuses_what_converse_cannot_say_before_calling() -> None:
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    body = {
        "model": MODEL,
        "messages": [
            {"role": "user", "content": "look"},
            {"role": "user", "content": [image_part("https://example.com/cat.png")]},
        ],
    }
    with Stubber(client):  # no response queued: a call would fail the test
        backend = BedrockBackend("br", _target("bedrock"), context, client=client)
        with pytest.raises(UpstreamStatusError) as caught:
            _run(backend.complete(body))
    context.executor.shutdown()
    assert caught.value.upstream_status == 400
    assert caught.value.status == 400
    assert not caught.value.fallback
    assert str(caught.value) == (
        "target 'br' cannot take this request: messages[1].content[0]: Bedrock Converse "
        "cannot take an image URL; allowed: text, and image_url parts with a base64 data: URL "
        "of image/gif, image/jpeg, image/png, image/webp"
    )


def test_bedrock_sends_an_inline_image_as_converse_image_bytes() -> None:
    context = BackendContext(blocking_threads=2)
    client = FakeBedrock()  # refuses what botocore's model or Bedrock would
    backend = BedrockBackend("br", _target("bedrock"), context, client=client)
    content = [{"type": "text", "text": "what is it?"}, image_part(png_url())]
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}]}
    _run(backend.complete(body))
    _run(_collect(backend.stream({**body, "stream": True}, Usage(), include_usage=False)))
    context.executor.shutdown()
    blocks = [{"text": "what is it?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    assert client.calls == [
        ("Converse", {"modelId": MODEL, "messages": [{"role": "user", "content": blocks}]}),
        ("ConverseStream", {"modelId": MODEL, "messages": [{"role": "user", "content": blocks}]}),
    ]


def test_bedrock_converse_stream_becomes_openai_chunks() -> None:
    context = BackendContext(blocking_threads=2)
    events: list[dict[str, Any]] = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hal"}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "lo"}}},
        {"messageStop": {"stopReason": "max_tokens"}},
        {
            "metadata": {
                "usage": {"inputTokens": 4, "outputTokens": 2, "totalTokens": 6},
                "metrics": {"latencyMs": 5},
            }
        },
    ]
    usage = Usage()
    client = FakeBedrock(events=events)
    backend = BedrockBackend("br", _target("bedrock"), context, client=client)
    blocks = _run(_collect(backend.stream(chat(stream=True), usage, include_usage=True)))
    assert client.requests[0]["messages"] == [{"role": "user", "content": [{"text": "hello"}]}]
    context.executor.shutdown()
    data = [orjson.loads(b[6:]) for b in blocks[:-1]]
    assert blocks[-1] == b"data: [DONE]\n\n"
    assert (
        "".join(d["choices"][0]["delta"].get("content", "") for d in data if d["choices"])
        == "Hallo"
    )
    assert data[3]["choices"][0]["finish_reason"] == "length"
    assert data[-1]["usage"]["total_tokens"] == 6
    assert (usage.prompt_tokens, usage.completion_tokens) == (4, 2)


def test_bedrock_stream_throttled_before_first_event_raises_for_fallback() -> None:
    client = boto3.client("bedrock-runtime", region_name=REGION)
    context = BackendContext(blocking_threads=2)
    with Stubber(client) as stub:
        stub.add_client_error("converse_stream", "ThrottlingException", "slow down", 429)
        backend = BedrockBackend("br", _target("bedrock"), context, client=client)
        with pytest.raises(UpstreamStatusError):
            _run(_collect(backend.stream(chat(stream=True), Usage(), include_usage=False)))
    context.executor.shutdown()


class _BlockingBedrock:
    """A bedrock-runtime client whose converse blocks until released, as a slow call does."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def converse(self, **_: Any) -> dict[str, Any]:
        self.entered.set()
        self.release.wait(10)
        return CONVERSE_ANSWER


def test_blocking_boto_calls_do_not_stall_the_event_loop() -> None:
    cfg = configs.config(
        {
            "br": {**_target("bedrock").model_dump(), "allowed_data_classes": ["public"]},
        },
        [{"name": "default", "targets": ["br"]}],
    )
    gateway = Gateway(cfg)
    slow = _BlockingBedrock()
    gateway.backends["br"] = BedrockBackend("br", cfg.targets["br"], gateway.context, client=slow)

    async def scenario() -> tuple[int, int, bool]:
        request = Request("POST", "/v1/chat/completions", auth(), orjson.dumps(chat()))
        pending = asyncio.ensure_future(gateway.handle(request))
        await asyncio.to_thread(slow.entered.wait, 10)
        # The Bedrock call holds a pool thread; the loop still answers other requests.
        health = await gateway.handle(Request("GET", "/healthz", {}, b""))
        still_waiting = not pending.done()
        slow.release.set()
        answer = await pending
        await gateway.close()
        return health.status, answer.status, still_waiting

    assert _run(scenario()) == (200, 200, True)


def _queue_sagemaker_result(body: object) -> None:
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={
            "account_id": "123456789012",
            "region": REGION,
            "results": [{"Body": orjson.dumps(body).decode(), "ContentType": "application/json"}],
        },
        timeout=5,
    )


@mock_aws
def test_sagemaker_invoke_endpoint_against_moto() -> None:
    openai_answer = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "mistral",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "bonjour"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    _queue_sagemaker_result(openai_answer)
    context = BackendContext(blocking_threads=2)
    backend = SageMakerBackend("sm", _target("sagemaker", endpoint_name="mistral-ep"), context)
    completion = _run(backend.complete(chat()))
    context.executor.shutdown()
    assert orjson.loads(completion.body)["choices"][0]["message"]["content"] == "bonjour"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 1)


@mock_aws
def test_sagemaker_tgi_answer_is_mapped() -> None:
    _queue_sagemaker_result([{"generated_text": "hola"}])
    context = BackendContext(blocking_threads=2)
    backend = SageMakerBackend("sm", _target("sagemaker", endpoint_name="tgi-ep"), context)
    completion = _run(backend.complete(chat("something else")))
    context.executor.shutdown()
    assert orjson.loads(completion.body)["choices"][0]["message"]["content"] == "hola"


class _StreamingSageMaker:
    """moto lacks invoke_endpoint_with_response_stream: a narrow fake of its event stream."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Iterator[Any]]:
        return {"Body": iter([{"PayloadPart": {"Bytes": part}} for part in self.parts])}


def test_sagemaker_stream_reframes_payload_parts() -> None:
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hé"}, "finish_reason": None}],
    }
    raw = b"data: " + orjson.dumps(chunk) + b"\n\ndata: [DONE]\n\n"
    parts = [raw[:7], raw[7:30], raw[30:]]  # split mid-event, as the wire does
    context = BackendContext(blocking_threads=2)
    backend = SageMakerBackend(
        "sm", _target("sagemaker", endpoint_name="ep"), context, client=_StreamingSageMaker(parts)
    )
    blocks = _run(_collect(backend.stream(chat(stream=True), Usage(), include_usage=False)))
    context.executor.shutdown()
    assert blocks == [b"data: " + orjson.dumps(chunk) + b"\n\n", b"data: [DONE]\n\n"]
