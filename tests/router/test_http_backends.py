"""Anthropic, Vertex and Azure OpenAI adapters against fake upstreams on loopback."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import auth, chat
from tests.router.fakes import LoopThread
from tests.router.native_fakes import Recorder, anthropic_app, vertex_app


def azure_app(
    recorder: Recorder, path: str = "/openai/deployments/{name}/chat/completions"
) -> web.Application:
    async def chat_completions(request: web.Request) -> web.Response:
        await recorder.record(request)
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "gpt",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "azure"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    app = web.Application()
    app.router.add_post(path, chat_completions)
    return app


def _router(loop: LoopThread, backend: str, url: str, **extra: Any) -> str:
    target = {**configs.target(url, ("public",)), "backend": backend, "url": url, **extra}
    cfg = configs.config({"t": target}, [{"name": "default", "targets": ["t"]}])
    return loop.serve(create_app(cfg)).url


def _content(response: httpx.Response) -> str:
    events = [line[6:] for line in response.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    return "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])


def test_anthropic_messages_json_and_stream(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_KEY", "sk-ant")
    recorder = Recorder()
    up = loop.serve(anthropic_app(recorder))
    router = _router(
        loop,
        "anthropic",
        up.url,
        auth={"scheme": "api_key", "secret": {"store": "env", "name": "ANTHROPIC_KEY"}},
    )
    body = {
        "model": "default",
        "messages": [{"role": "system", "content": "brief"}, {"role": "user", "content": "hi"}],
        "temperature": 1.5,
    }
    with httpx.Client(base_url=router, headers=auth()) as client:
        answer = client.post("/v1/chat/completions", json=body).json()
        streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    assert answer["choices"][0]["message"]["content"] == "hi from claude"
    assert answer["choices"][0]["finish_reason"] == "length"
    assert answer["usage"]["total_tokens"] == 13
    assert _content(streamed) == "hi there"
    _, headers, sent = recorder.requests[0]
    assert headers["x-api-key"] == "sk-ant"
    assert sent["system"] == "brief"
    assert sent["max_tokens"] == 1024
    assert sent["temperature"] == 1.0


def test_anthropic_error_event_mid_stream_becomes_an_error_event(loop: LoopThread) -> None:
    up = loop.serve(anthropic_app(Recorder(), cut=True))
    router = _router(loop, "anthropic", up.url)
    response = httpx.post(f"{router}/v1/chat/completions", json=chat(stream=True), headers=auth())
    assert "[DONE]" not in response.text
    assert "stream_interrupted" in response.text


def test_vertex_gemini_json_and_stream(loop: LoopThread) -> None:
    recorder = Recorder()
    up = loop.serve(vertex_app(recorder))
    router = _router(loop, "vertex", up.url + "/v1/models")
    with httpx.Client(base_url=router, headers=auth()) as client:
        answer = client.post("/v1/chat/completions", json=chat(max_tokens=20)).json()
        streamed = client.post("/v1/chat/completions", json=chat(stream=True))
    assert answer["choices"][0]["message"]["content"] == "hallo"
    assert answer["usage"]["prompt_tokens"] == 6
    assert _content(streamed) == "hallo"
    url, _, sent = recorder.requests[0]
    assert url == "/v1/models/m:generateContent"
    assert sent["generationConfig"] == {"maxOutputTokens": 20}
    assert recorder.requests[1][0] == "/v1/models/m:streamGenerateContent?alt=sse"


def test_azure_openai_deployment_url_and_key(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_KEY", "az")
    recorder = Recorder()
    up = loop.serve(azure_app(recorder))
    router = _router(
        loop,
        "azure_openai",
        up.url,
        api_version="2024-06-01",
        auth={"scheme": "api_key", "secret": {"store": "env", "name": "AZURE_KEY"}},
    )
    answer = httpx.post(f"{router}/v1/chat/completions", json=chat(), headers=auth()).json()
    assert answer["choices"][0]["message"]["content"] == "azure"
    url, headers, _ = recorder.requests[0]
    assert url == "/openai/deployments/m/chat/completions?api-version=2024-06-01"
    assert headers["api-key"] == "az"


def test_lambda_url_requests_are_sigv4_signed(
    loop: LoopThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOFFLINE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "offline-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    recorder = Recorder()
    up = loop.serve(azure_app(recorder, "/v1/chat/completions"))
    router = _router(loop, "lambda_url", up.url + "/v1", region="us-east-1")
    answer = httpx.post(f"{router}/v1/chat/completions", json=chat(), headers=auth()).json()
    assert answer["choices"][0]["message"]["content"] == "azure"
    _, headers, _ = recorder.requests[0]
    authorization = headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIAOFFLINE/")
    assert "/us-east-1/lambda/aws4_request" in authorization
    assert "X-Amz-Date" in headers
