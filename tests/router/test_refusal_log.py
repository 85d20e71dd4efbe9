"""Refused requests reach the access log with their reason, on every API; mid-stream
failures end translated streams with each API's own error event."""

from __future__ import annotations

import io

import httpx
import orjson

from inferplane.router.accesslog import AccessLog
from inferplane.router.app import create_app
from inferplane.router.core import Gateway, Request
from tests.router import configs
from tests.router.configs import KEY, target
from tests.router.fakes import FakeOpenAI, LoopThread

PII = "card 4111 1111 1111 1111 please"


def test_refusals_are_in_the_access_log_with_their_reason(loop: LoopThread) -> None:
    up = loop.serve(FakeOpenAI("cloud").app)
    cfg = configs.config(
        {"cloud": target(up.url, ("public",))},
        [{"name": "default", "targets": ["cloud"]}],
        access_log=True,
    )
    sink = io.BytesIO()
    gateway = Gateway(cfg, access_log=AccessLog(sink))
    bearer = {"authorization": f"Bearer {KEY}"}
    requests = [
        (
            "/v1/messages",
            {"x-api-key": "wrong"},
            {"model": "default", "max_tokens": 5, "messages": []},
        ),
        (
            "/v1/messages",
            bearer,
            {"model": "default", "max_tokens": 5, "messages": [{"role": "user", "content": PII}]},
        ),
        ("/v1/responses", bearer, {"model": "nope-model", "input": "x"}),
    ]

    async def run() -> list[int]:
        await gateway.start()
        statuses = []
        for path, headers, body in requests:
            response = await gateway.handle(Request("POST", path, headers, orjson.dumps(body)))
            statuses.append(response.status)
        await gateway.close()
        return statuses

    # A catch-all route exists, so an unknown model goes to it: not a refusal.
    assert loop.run(run()) == [401, 503, 200]
    lines = [orjson.loads(line) for line in sink.getvalue().splitlines()]
    refused = [
        (e["path"], e["status"], e["reason"], e["data_class"]) for e in lines if "reason" in e
    ]
    assert refused == [
        ("/v1/messages", 401, "invalid_api_key", "-"),
        ("/v1/messages", 503, "pii", "restricted"),
    ]
    assert "PII detected in the request (card)" in lines[1]["error"]


def test_midstream_failure_ends_each_api_with_its_error_event(loop: LoopThread) -> None:
    upstream = FakeOpenAI("cloud", chunks=6)
    upstream.mode = "midstream"
    up = loop.serve(upstream.app)
    cfg = configs.config(
        {"cloud": target(up.url, ("public",))}, [{"name": "default", "targets": ["cloud"]}]
    )
    url = loop.serve(create_app(cfg)).url
    headers = {"authorization": f"Bearer {KEY}"}
    message = {
        "model": "default",
        "max_tokens": 5,
        "stream": True,
        "messages": [{"role": "user", "content": "x"}],
    }
    anthropic_stream = httpx.post(f"{url}/v1/messages", json=message, headers=headers).text
    assert anthropic_stream.startswith("event: message_start")
    assert anthropic_stream.rstrip().splitlines()[-2] == "event: error"
    assert '"type":"error","error":{"type":"api_error"' in anthropic_stream
    assert "message_stop" not in anthropic_stream
    responses_stream = httpx.post(
        f"{url}/v1/responses",
        json={"model": "default", "input": "x", "stream": True},
        headers=headers,
    ).text
    assert "event: response.failed" in responses_stream
    assert "response.completed" not in responses_stream
