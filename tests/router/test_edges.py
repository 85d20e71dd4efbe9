"""Request validation, auth, limits and the small endpoints, through the core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from inferplane.router.__main__ import main as router_main
from inferplane.router.backends import ChatBackend, Completion, Usage
from inferplane.router.chat import parse_chat_request
from inferplane.router.core import Gateway, Request, Response
from tests.router import configs
from tests.router.configs import KEY, KEY_CONFIDENTIAL, OPERATOR_KEY, auth, chat, target


def _gateway(**extra: Any) -> Gateway:
    cfg = configs.config(
        {"t": target("http://127.0.0.1:9", ("public", "confidential", "restricted"))},
        [{"name": "default", "targets": ["t"]}],
        **extra,
    )
    return Gateway(cfg)


def _call(
    gateway: Gateway,
    body: bytes | dict[str, Any],
    headers: dict[str, str] | None = None,
    path: str = "/v1/chat/completions",
    method: str = "POST",
) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)

    async def go() -> Response:
        try:
            return await gateway.handle(
                Request(method, path, auth() if headers is None else headers, raw)
            )
        finally:
            await gateway.close()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "'model' is required"),
        ({"model": "m"}, 400, "'messages' is required"),
        ({"model": "m", "messages": []}, 400, "at least one message"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, 400, "role"),
        ({"model": "m", "messages": [{"role": []}]}, 400, "role"),  # found by the fuzzer
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, 400, "content"),
        (chat(temperature=7), 400, "between 0 and 2"),
        (chat(max_tokens="many"), 400, "must be an integer"),
        (chat(stream=1), 400, "'stream' must be a boolean"),
        (chat(bogus=True), 400, "unrecognized request argument supplied: bogus"),
        (b"x" * 5000, 413, "exceeds the limit"),
    ],
)
def test_bad_requests_get_openai_error_bodies(body: Any, status: int, fragment: str) -> None:
    response = _call(_gateway(limits={"max_body_bytes": 4096}), body)
    assert response.status == status
    error = orjson.loads(response.body)["error"]
    assert fragment in error["message"]
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "invalid_api_key"),
        ({"authorization": "Bearer wrong"}, 401, "invalid_api_key"),
        (
            {**auth(KEY_CONFIDENTIAL), "x-inferplane-data-class": "public"},
            403,
            "data_class_not_allowed",
        ),
        ({**auth(KEY), "x-inferplane-latency-budget-ms": "soon"}, 400, None),
        ({**auth(KEY), "x-inferplane-data-class": "secret"}, 400, None),
    ],
)
def test_auth_and_headers_are_checked(
    headers: dict[str, str], status: int, code: str | None
) -> None:
    response = _call(_gateway(), chat(), headers)
    assert response.status == status
    assert orjson.loads(response.body)["error"]["code"] == code


def test_rate_limit_per_key() -> None:
    gateway = _gateway()

    async def go() -> list[int]:
        statuses = []
        for _ in range(4):
            request = Request(
                "POST", "/v1/chat/completions", auth(KEY_CONFIDENTIAL), orjson.dumps(chat())
            )
            statuses.append((await gateway.handle(request)).status)
        await gateway.close()
        return statuses

    statuses = asyncio.run(go())
    # The target is down (503) for the first three; the fourth is over the limit of 3/min.
    assert statuses == [503, 503, 503, 429]


@pytest.mark.parametrize(
    ("path", "method", "headers", "status"),
    [
        ("/healthz", "GET", auth(), 200),
        ("/readyz", "GET", auth(), 200),
        ("/metrics", "GET", auth(OPERATOR_KEY), 200),
        ("/metrics", "GET", auth(), 401),  # an API key is not an operator credential
        ("/v1/models", "GET", auth(), 200),
        ("/nope", "GET", auth(), 404),
        ("/v1/chat/completions", "GET", auth(), 405),
    ],
)
def test_small_endpoints(path: str, method: str, headers: dict[str, str], status: int) -> None:
    assert _call(_gateway(), b"", headers, path, method).status == status


def test_max_tokens_is_capped_by_the_route() -> None:
    def capped(**extra: Any) -> object:
        return parse_chat_request(orjson.dumps(chat(**extra))).capped_body(100)["max_tokens"]

    assert (capped(max_tokens=500), capped(max_tokens=50), capped()) == (100, 50, 100)


class _Scripted(ChatBackend):
    """An in-process backend: the core needs no HTTP server (as a Lambda front would)."""

    kind = "scripted"

    async def complete(self, body: dict[str, Any]) -> Completion:
        raise AssertionError("not used")

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        for word in ("a", "b"):
            yield (
                b'data: {"choices":[{"index":0,"delta":{"content":"' + word.encode() + b'"}}]}\n\n'
            )
        yield b"data: [DONE]\n\n"


def test_core_streams_without_any_http_server() -> None:
    gateway = _gateway()
    gateway.backends["t"] = _Scripted("t", gateway.config.targets["t"], gateway.context)

    async def go() -> tuple[Response, list[bytes]]:
        response = await gateway.handle(
            Request("POST", "/v1/chat/completions", auth(), orjson.dumps(chat(stream=True)))
        )
        assert response.stream is not None
        blocks = [block async for block in response.stream]
        await gateway.close()
        return response, blocks

    response, blocks = asyncio.run(go())
    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert blocks[-1] == b"data: [DONE]\n\n"
    assert len(blocks) == 3


def test_python_m_router_reports_a_bad_config(tmp_path: Any) -> None:
    (tmp_path / "bad.json").write_text('{"stack": 1}')
    assert router_main(["--config", str(tmp_path / "missing.json")]) == 2
    assert router_main(["--config", str(tmp_path / "bad.json")]) == 2
