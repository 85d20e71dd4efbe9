"""The ``lambda`` target's handler against a stubbed bedrock-runtime client."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from inferplane.components.aws import converse_handler

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hi"}, {"text": "!"}]}},
    "stopReason": "max_tokens",
    "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9},
    "metrics": {"latencyMs": 12},
}


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
    assert completion["choices"][0]["message"] == {"role": "assistant", "content": "Hi!"}
    assert completion["choices"][0]["finish_reason"] == "length"
    assert completion["usage"] == {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    assert completion["model"] == MODEL


def test_stream_request_gets_one_event_and_done(bedrock: Stubber) -> None:
    bedrock.add_response("converse", ANSWER)
    body = {"messages": [{"role": "user", "content": "Hello"}], "stream": True}
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body), None)
    assert reply["headers"]["content-type"] == "text/event-stream"
    first, done = reply["body"].strip().split("\n\n")
    assert json.loads(first.removeprefix("data: "))["choices"][0]["delta"]["content"] == "Hi!"
    assert done == "data: [DONE]"


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
    [("ThrottlingException", 429), ("ValidationException", 400), ("InternalServerException", 502)],
)
def test_bedrock_errors_become_openai_errors(bedrock: Stubber, code: str, status: int) -> None:
    bedrock.add_client_error("converse", service_error_code=code, service_message="nope")
    body = {"messages": [{"role": "user", "content": "Hello"}]}
    reply = converse_handler.handler(event("POST", "/v1/chat/completions", body), None)
    assert reply["statusCode"] == status
    assert json.loads(reply["body"])["error"]["type"] == code


@pytest.mark.parametrize(
    ("request_", "status", "fragment"),
    [
        (event("GET", "/nope"), 404, "no route"),
        (event("GET", "/v1/chat/completions"), 405, "GET is not allowed"),
        ({**event("POST", "/v1/chat/completions"), "body": "{"}, 400, "body is not JSON"),
        (event("POST", "/v1/chat/completions", {"messages": "hi"}), 400, "messages list"),
        (
            event("POST", "/v1/chat/completions", {"messages": [{"role": "tool", "content": "x"}]}),
            400,
            "role: 'tool'",
        ),
        (
            event(
                "POST",
                "/v1/chat/completions",
                {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            ),
            400,
            "only text content",
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
