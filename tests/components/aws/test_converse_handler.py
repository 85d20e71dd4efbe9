"""The ``lambda`` target's handler against a stubbed bedrock-runtime client (botocore's
Stubber, which checks each request against the API model) and, for streams, the
event-stream double ``tests.support.bedrock.FakeBedrock``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from inferplane.components.aws import converse_handler
from tests.support.bedrock import ANSWER, EVENTS, MODEL, FakeBedrock, bedrock_error
from tests.support.images import PNG, image_part, png_url


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    monkeypatch.setenv("MODEL_ID", MODEL)
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    monkeypatch.setitem(converse_handler._clients, "bedrock", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def event(method: str, path: str, body: Any = None, b64: bool = False) -> dict[str, Any]:
    raw = json.dumps(body) if body is not None else ""
    if b64:
        raw = base64.b64encode(raw.encode()).decode()
    return {
        "rawPath": path,
        "requestContext": {"http": {"method": method}},
        "body": raw,
        "isBase64Encoded": b64,
    }


def test_chat_completion_through_converse(bedrock: Stubber) -> None:
    bedrock.add_response(
        "converse",
        ANSWER,
        {
            "modelId": MODEL,
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
            "inferenceConfig": {"maxTokens": 2, "temperature": 0.0, "stopSequences": ["\n"]},
        },
    )
    body = {
        "model": "ignored",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}]},
        ],
        "max_tokens": 2,
        "temperature": 0,
        "stop": "\n",
    }
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body, b64=True), None)
    assert reply["statusCode"] == 200
    completion = json.loads(reply["body"])
    assert completion["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Hallo",
        "refusal": None,
    }
    assert completion["choices"][0]["finish_reason"] == "length"
    assert completion["usage"] == {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    assert completion["model"] == MODEL


def _stream(monkeypatch: pytest.MonkeyPatch, client: FakeBedrock, **extra: Any) -> dict[str, Any]:
    monkeypatch.setenv("MODEL_ID", MODEL)
    monkeypatch.setitem(converse_handler._clients, "bedrock", client)
    body = {"messages": [{"role": "user", "content": "Hello"}], "stream": True, **extra}
    return converse_handler.handler(event("POST", "/v1/chat/completions", body), None)


def _data(reply: dict[str, Any]) -> list[Any]:
    blocks = reply["body"].strip().split("\n\n")
    return [b if b == "data: [DONE]" else json.loads(b.split("data: ", 1)[1]) for b in blocks]


def test_stream_request_is_conversestream_as_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    client = FakeBedrock()
    reply = _stream(monkeypatch, client, stream_options={"include_usage": True})
    assert client.requests == [
        {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "Hello"}]}]}
    ]
    assert reply["headers"]["content-type"] == "text/event-stream"
    *chunks, usage, done = _data(reply)
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Hal"},
        {"content": "lo"},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert usage["usage"] == {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    assert done == "data: [DONE]"


def test_stream_failing_midway_ends_in_an_error_event_without_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = bedrock_error("modelStreamErrorException", 424, "ConverseStream")
    reply = _stream(monkeypatch, FakeBedrock(events=EVENTS[:2], stream_failure=failure))
    assert reply["statusCode"] == 200  # the chunks before the failure were produced
    assert "data: [DONE]" not in reply["body"]
    assert reply["body"].endswith("\n\n")
    assert "event: error\ndata: " in reply["body"]
    assert "Bedrock failed mid-stream" in _data(reply)[-1]["error"]["message"]


def test_stream_cut_before_message_stop_is_not_done(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = _stream(monkeypatch, FakeBedrock(events=EVENTS[:2]))
    assert "data: [DONE]" not in reply["body"]
    assert "before messageStop" in _data(reply)[-1]["error"]["message"]


def test_stream_refused_before_any_event_is_an_error_status(bedrock: Stubber) -> None:
    bedrock.add_client_error("converse_stream", service_error_code="ThrottlingException")
    body = {"messages": [{"role": "user", "content": "Hello"}], "stream": True}
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body), None)
    assert reply["statusCode"] == 429


def test_guardrail_from_the_environment(bedrock: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUARDRAIL_ID", "gr1")
    monkeypatch.setenv("GUARDRAIL_VERSION", "3")
    bedrock.add_response(
        "converse",
        ANSWER,
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"text": "Hello"}]}],
            "guardrailConfig": {"guardrailIdentifier": "gr1", "guardrailVersion": "3"},
        },
    )
    body = {"messages": [{"role": "user", "content": "Hello"}]}
    assert (
        converse_handler.handler(event("POST", "/v1/chat/completions", body), None)["statusCode"]
        == 200
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ValidationException", 400),
        ("InternalServerException", 502),
        # The function's role or its model, not the caller's: see router/converse/errors.py.
        ("AccessDeniedException", 503),
        ("ResourceNotFoundException", 503),
    ],
)
def test_bedrock_errors_become_openai_errors(bedrock: Stubber, code: str, status: int) -> None:
    bedrock.add_client_error("converse", service_error_code=code, service_message="nope")
    body = {"messages": [{"role": "user", "content": "Hello"}]}
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body), None)
    assert reply["statusCode"] == status
    assert json.loads(reply["body"])["error"]["type"] == code


def test_an_inline_image_reaches_converse_as_image_bytes(bedrock: Stubber) -> None:
    # The Stubber checks the request against the API model and against this exact request.
    bedrock.add_response(
        "converse",
        ANSWER,
        {
            "modelId": MODEL,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"text": "What is this?"},
                        {"image": {"format": "png", "source": {"bytes": PNG}}},
                    ],
                }
            ],
        },
    )
    content = [{"type": "text", "text": "What is this?"}, image_part(png_url())]
    body = {"messages": [{"role": "user", "content": content}]}
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body), None)
    assert reply["statusCode"] == 200


@pytest.mark.parametrize(
    ("request_", "status", "fragment"),
    [
        (event("GET", "/nope"), 404, "no route"),
        (event("GET", "/v1/chat/completions"), 405, "GET is not allowed"),
        ({**event("POST", "/v1/chat/completions"), "body": "{"}, 400, "body is not JSON"),
        (event("POST", "/v1/chat/completions", {"messages": "hi"}), 400, "messages list"),
        (
            event("POST", "/v1/chat/completions", {"messages": [{"role": "bot", "content": "x"}]}),
            400,
            "role: 'bot' is not one of",
        ),
        (
            event(
                "POST",
                "/v1/chat/completions",
                {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            ),
            400,
            "messages[0].content[0].image_url: must be an object with a url string",
        ),
        (
            event(
                "POST",
                "/v1/chat/completions",
                {"messages": [{"role": "user", "content": [image_part("https://x.test/a.png")]}]},
            ),
            400,
            "messages[0].content[0]: Bedrock Converse cannot take an image URL; allowed: text, "
            "and image_url parts with a base64 data: URL of image/gif, image/jpeg, image/png, "
            "image/webp",
        ),
        (
            event(
                "POST",
                "/v1/chat/completions",
                {"messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            ),
            400,
            "messages[0].content[0]: a 'input_audio' part cannot be sent to this target; "
            "allowed: text, image_url",
        ),
        (  # streamed or not, a tool setting Converse lacks is the caller's 400, not dropped
            event(
                "POST",
                "/v1/chat/completions",
                {
                    "messages": [{"role": "user", "content": "x"}],
                    "tools": [{"type": "function", "function": {"name": "f"}}],
                    "parallel_tool_calls": False,
                    "stream": True,
                },
            ),
            400,
            "parallel_tool_calls: false cannot be sent to Bedrock Converse",
        ),
    ],
)
def test_bad_requests(
    bedrock: Stubber, request_: dict[str, Any], status: int, fragment: str
) -> None:
    reply = converse_handler.handler(request_, None)
    assert reply["statusCode"] == status
    assert fragment in json.loads(reply["body"])["error"]["message"]


def test_health_and_models(bedrock: Stubber) -> None:
    assert converse_handler.handler(event("GET", "/healthz"), None)["statusCode"] == 200
    models = json.loads(converse_handler.handler(event("GET", "/v1/models"), None)["body"])
    assert models["data"] == [{"id": MODEL, "object": "model"}]
