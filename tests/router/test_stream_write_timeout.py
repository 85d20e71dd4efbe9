"""A client that stops reading a stream is cut off within ``limits.stream_write_timeout_s``
and the upstream stream is closed (issue 15): it must not hold the target forever."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import orjson
from aiohttp import web

from inferplane.router.app import create_app
from tests.router import configs
from tests.router.configs import KEY, OPERATOR_KEY, target
from tests.router.fakes import LoopThread


class EndlessUpstream:
    """Streams 32 KB chunks until the router closes the connection."""

    def __init__(self) -> None:
        self.ended_at: float | None = None
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self._chat)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        delta = {"role": "assistant", "content": "x" * 32_768}
        chunk = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        block = b"data: " + orjson.dumps(chunk) + b"\n\n"
        try:
            for _ in range(100_000):  # ~3 GB: far more than any socket buffer
                await response.write(block)
                await asyncio.sleep(0)
        finally:
            self.ended_at = time.monotonic()
        return response


def test_a_client_that_stops_reading_releases_the_upstream(loop: LoopThread) -> None:
    upstream = EndlessUpstream()
    up = loop.serve(upstream.app)
    config = configs.config(
        {"cloud": target(up.url, ("public",), timeouts={"first_byte": 5, "total": 120})},
        [{"name": "default", "targets": ["cloud"]}],
        limits={"stream_write_timeout_s": 0.5},
    )
    router = loop.serve(create_app(config))
    body = orjson.dumps(configs.chat(stream=True))
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills at once
    client.connect(("127.0.0.1", int(router.url.rsplit(":", 1)[1])))
    client.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        + f"authorization: Bearer {KEY}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        + body
    )
    started = time.monotonic()
    try:
        while upstream.ended_at is None and time.monotonic() - started < 20:
            time.sleep(0.05)  # never read: the router's writes stall
        assert upstream.ended_at is not None, "the upstream stream was never closed"
    finally:
        client.close()
    metrics = httpx.get(f"{router.url}/metrics", headers=configs.auth(OPERATOR_KEY)).text
    assert "inferplane_stream_write_timeouts_total 1" in metrics
    # The router still answers others.
    answer = httpx.get(f"{router.url}/healthz")
    assert answer.status_code == 200
