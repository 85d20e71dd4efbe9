"""What the router tells whom (issue 19): /metrics and the target list of /readyz only to
operators, 503 bodies without upstream addresses, one log line per refused request."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import orjson
import pytest

from router.app import create_app
from tests.router import configs
from tests.router.configs import OPERATOR_KEY, auth, chat, target
from tests.router.fakes import FakeOpenAI, LoopThread, free_port


def _router(loop: LoopThread, **extra: Any) -> tuple[str, FakeOpenAI]:
    upstream = FakeOpenAI("primary")
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {"primary": target(up.url, ("public",), input_cost_per_1k=0.03)},
        [{"name": "default", "targets": ["primary"]}],
        **extra,
    )
    return loop.serve(create_app(cfg)).url, upstream


@pytest.mark.parametrize(
    ("admin", "headers", "status", "code"),
    [
        ({}, {}, 403, "metrics_closed"),  # default: closed
        ({}, auth(), 403, "metrics_closed"),
        (configs.operators(), {}, 401, "invalid_api_key"),
        (configs.operators(), auth(), 401, "invalid_api_key"),  # an API key is no credential
        (configs.operators(), auth(OPERATOR_KEY), 200, None),
    ],
)
def test_metrics_need_an_operator_credential(
    loop: LoopThread, admin: dict[str, Any], headers: dict[str, str], status: int, code: str | None
) -> None:
    url, _ = _router(loop, admin=admin)
    httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=auth())
    response = httpx.get(f"{url}/metrics", headers=headers)
    assert response.status_code == status
    if code is None:
        assert 'inferplane_cost_usd_total{target="primary"}' in response.text
    else:
        assert response.json()["error"]["code"] == code
        assert "primary" not in response.text


def test_readyz_names_targets_to_operators_only(loop: LoopThread) -> None:
    url, _ = _router(loop)
    assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
    assert httpx.get(f"{url}/readyz", headers=auth()).json() == {"status": "ready"}
    operator = httpx.get(f"{url}/readyz", headers=auth(OPERATOR_KEY))
    assert operator.json() == {
        "status": "ready",
        "healthy": ["primary"],
        "targets": {"primary": "ready"},
    }


def test_operator_listener_serves_metrics_without_a_credential(loop: LoopThread) -> None:
    port = free_port()
    url, _ = _router(loop, admin={"port": port})
    operator = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{url}/metrics").status_code == 403
    metrics = httpx.get(f"{operator}/metrics")
    assert metrics.status_code == 200
    assert "inferplane_state_degraded 0" in metrics.text
    assert httpx.get(f"{operator}/readyz").json() == {
        "status": "ready",
        "healthy": ["primary"],
        "targets": {"primary": "ready"},
    }
    chat_there = httpx.post(f"{operator}/v1/chat/completions", json=chat(), headers=auth())
    assert (chat_there.status_code, chat_there.json()["error"]["code"]) == (404, "not_found")


def test_503_names_codes_and_a_request_id_and_logs_the_details(
    loop: LoopThread, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = _router(loop)
    address = loop.served[0].url.removeprefix("http://")
    loop.served[0].stop()  # the only target is down
    with caplog.at_level(logging.INFO, logger="inferplane.router"):
        response = httpx.post(f"{url}/v1/chat/completions", json=chat(), headers=auth())
    request_id = response.headers["x-request-id"]
    assert response.status_code == 503
    assert response.json()["error"]["message"] == (
        "no allowed target could answer (route 'default'): primary: upstream_unreachable; "
        f"primary: upstream_unreachable; request id {request_id}"
    )
    assert address not in response.text
    lines = [r for r in caplog.records if r.name == "inferplane.router"]
    assert len(lines) == 1
    assert lines[0].exc_info is None
    assert (
        lines[0]
        .getMessage()
        .startswith(
            f"request {request_id}: POST /v1/chat/completions -> 503 all_targets_failed: "
            "no target could answer (route 'default'): primary: target 'primary' is unreachable"
        )
    )
    assert address in lines[0].getMessage()


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(v for k, v in _headers(head) if k == b"content-length"))
    body = await reader.readexactly(length)
    writer.close()
    return head + body


def _headers(head: bytes) -> list[tuple[bytes, bytes]]:
    lines = head.split(b"\r\n")[1:]
    return [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(b":") for ln in lines)]


@pytest.mark.parametrize(
    ("header", "body", "status", "reason"),
    [
        (b"Authorization: Bearer \xff\xfe\xfd", b"{}", 401, "invalid API key"),
        (b"api-key: sk-\xc3\x28", b"{}", 401, "invalid API key"),
        (
            b"Authorization: Bearer " + configs.KEY.encode(),
            b"{not json",
            400,
            "request body is not valid JSON",
        ),
    ],
)
def test_malformed_requests_get_4xx_and_one_log_line(
    loop: LoopThread,
    caplog: pytest.LogCaptureFixture,
    header: bytes,
    body: bytes,
    status: int,
    reason: str,
) -> None:
    url, _ = _router(loop)
    port = int(url.rsplit(":", 1)[1])
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        + header
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    with caplog.at_level(logging.DEBUG):
        answer = loop.run(_raw(port, request))
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode()
    assert orjson.loads(payload)["error"]["message"].startswith(reason)
    ours = [r for r in caplog.records if r.name == "inferplane.router"]
    assert len(ours) == 1
    assert reason in ours[0].getMessage()
    assert [r for r in caplog.records if r.exc_info] == []


def test_an_unparsable_http_request_logs_one_line_without_a_traceback(
    loop: LoopThread, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = _router(loop)
    port = int(url.rsplit(":", 1)[1])

    async def garbage() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GARBAGE / HTTP/1.1\r\n\r\n")
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer

    with caplog.at_level(logging.DEBUG, logger="aiohttp.server"):
        answer = loop.run(garbage())
    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    lines = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [r.getMessage() for r in lines] == [
        "Error handling request from 127.0.0.1: 400 Invalid method encountered:"
    ]
    assert [r for r in caplog.records if r.exc_info] == []
