"""What the router's upstream client sends besides the body: aiohttp's default Accept
headers and no User-Agent (the session skips it; ``NoUserAgentRequest`` does so without
aiohttp's per-request copy), for a JSON answer and a stream alike."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from bench.router.upstream import ANSWER, make_chunks
from inferplane.router.core import Gateway, Request
from tests.router import configs
from tests.router.configs import auth, chat


async def _sent_headers() -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        if not orjson.loads(await request.read()).get("stream"):
            return web.Response(body=ANSWER, content_type="application/json")
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for block in make_chunks(3):
            await response.write(block)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    config = configs.config(
        {"t": configs.target(f"http://127.0.0.1:{port}", ("public",))},
        [{"name": "default", "targets": ["t"]}],
    )
    gateway = Gateway(config)
    await gateway.start()
    try:
        headers = {k.lower(): v for k, v in auth().items()}
        for stream in (False, True):
            body = orjson.dumps({**chat(f"stream {stream}"), "stream": stream})
            response = await gateway.handle(Request("POST", "/v1/chat/completions", headers, body))
            assert response.status == 200, response.body
            if response.stream is not None:
                assert b"[DONE]" in b"".join([block async for block in response.stream])
    finally:
        await gateway.close()
        await runner.cleanup()
    return seen


def test_upstream_requests_carry_the_default_headers_and_no_user_agent() -> None:
    json_call, stream_call = asyncio.run(_sent_headers())
    for sent in (json_call, stream_call):
        assert {name.lower() for name in sent} == {
            "host",
            "accept",
            "accept-encoding",
            "content-type",
            "content-length",
        }
        assert sent["Content-Type"] == "application/json"
        assert sent["Accept"] == "*/*"
