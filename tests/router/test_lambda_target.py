"""The router in front of the ``lambda`` target's real handler, over loopback HTTP.

A function URL here is what AWS runs: HTTP in, a payload-2.0 event to
``converse_handler.handler``, its answer out; behind the handler a bedrock-runtime client
that answers or fails like Bedrock. In front of the router, the official OpenAI client.
What the handler answers for Bedrock's failures decides what the router does: the
deployment's own failures (its role may not invoke the model, the model ID is wrong) let
the router fall back; the caller's own mistake comes back as the caller's 400.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from aiohttp import web

from inferplane.components.aws import converse_handler
from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import KEY, auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread, Served
from tests.support.bedrock import MODEL, FakeBedrock
from tests.support.images import PNG, image_part, png_url

TIMEOUTS = {"connect": 2, "first_byte": 5, "total": 5}


def function_url(headers_seen: list[dict[str, str]]) -> web.Application:
    async def invoke(request: web.Request) -> web.Response:
        headers_seen.append(dict(request.headers))
        event = {
            "version": "2.0",
            "rawPath": request.path,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "requestContext": {"http": {"method": request.method, "path": request.path}},
            "body": (await request.read()).decode(),
            "isBase64Encoded": False,
        }
        reply = converse_handler.handler(event, None)
        return web.Response(
            status=reply["statusCode"], headers=reply["headers"], text=reply["body"]
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", invoke)
    return app


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> FakeBedrock:
    monkeypatch.setenv("MODEL_ID", MODEL)
    client = FakeBedrock()
    monkeypatch.setitem(converse_handler._clients, "bedrock", client)
    return client


class Stack:
    def __init__(self, loop: LoopThread) -> None:
        self.signed: list[dict[str, str]] = []
        self.fallback = FakeOpenAI("fallback")
        function = loop.serve(function_url(self.signed))
        upstream = loop.serve(self.fallback.app)
        cfg = configs.config(
            {
                "fn": {
                    "backend": "lambda_url",
                    "model": MODEL,
                    "url": function.url + "/v1",
                    "region": "us-east-1",
                    "location": "cloud:aws:us-east-1",
                    "allowed_data_classes": ["public"],
                    "timeouts": TIMEOUTS,
                    "url_fetch": "public",  # as rendered for the lambda kind (URL_FETCH)
                },
                "fallback": target(upstream.url, ("public",), timeouts=TIMEOUTS),
            },
            [{"name": "default", "targets": ["fn", "fallback"]}],
        )
        self.router: Served = loop.serve(create_app(cfg))

    def post(self, body: dict[str, Any]) -> httpx.Response:
        url = f"{self.router.url}/v1/chat/completions"
        return httpx.post(url, json=body, headers=auth(), timeout=20)


def test_bedrocks_answer_reaches_the_client(loop: LoopThread, bedrock: FakeBedrock) -> None:
    stack = Stack(loop)
    response = stack.post(chat("hi", temperature=1.5))
    assert response.status_code == 200, response.text
    assert response.headers["x-inferplane-target"] == "fn"
    assert response.json()["choices"][0]["message"]["content"] == "Hallo"
    # The handler's translation: OpenAI's 1.5 is Converse's maximum.
    assert bedrock.requests == [
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "inferenceConfig": {"temperature": 1.0},
        }
    ]
    # A function URL with AWS_IAM auth: the router signs for service lambda.
    assert "/us-east-1/lambda/aws4_request" in stack.signed[0]["Authorization"]


def test_a_stream_arrives_as_chunks_through_the_openai_client(
    loop: LoopThread, bedrock: FakeBedrock
) -> None:
    stack = Stack(loop)
    client = openai.OpenAI(base_url=f"{stack.router.url}/v1", api_key=KEY, max_retries=0)
    stream = client.chat.completions.create(
        model="default", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hallo"
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    "failure", [("AccessDeniedException", 403), ("ResourceNotFoundException", 404)]
)
def test_the_deployments_own_failure_falls_back(
    loop: LoopThread, bedrock: FakeBedrock, failure: tuple[str, int]
) -> None:
    bedrock.failure = failure
    stack = Stack(loop)
    response = stack.post(chat("hi"))
    assert response.status_code == 200, response.text
    assert response.headers["x-inferplane-target"] == "fallback"
    assert bedrock.calls
    assert len(stack.fallback.requests) == 1


def test_the_callers_mistake_is_the_callers_400(loop: LoopThread, bedrock: FakeBedrock) -> None:
    bedrock.failure = ("ValidationException", 400)
    stack = Stack(loop)
    client = openai.OpenAI(base_url=f"{stack.router.url}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="default", messages=[{"role": "user", "content": "hi"}]
        )
    assert stack.fallback.requests == []


def test_an_image_reaches_bedrock_through_the_function(
    loop: LoopThread, bedrock: FakeBedrock
) -> None:
    stack = Stack(loop)
    content = [{"type": "text", "text": "what is it?"}, image_part(png_url())]
    response = stack.post({"model": "default", "messages": [{"role": "user", "content": content}]})
    assert response.status_code == 200, response.text
    blocks = [{"text": "what is it?"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]
    assert bedrock.requests[0]["messages"] == [{"role": "user", "content": blocks}]
    # An image URL: the function's 400 names the part; the caller's, so no fallback.
    content = [image_part("https://images.example/cat.png")]
    response = stack.post({"model": "default", "messages": [{"role": "user", "content": content}]})
    assert response.status_code == 400
    assert "messages[0].content[0]: Bedrock Converse cannot take an image URL" in response.text
    assert len(bedrock.requests) == 1
    assert stack.fallback.requests == []
