"""The router keeps no cookies from targets: a ``Set-Cookie`` one tenant's answer carried
is never sent back with a later request (another tenant's, or the same one's)."""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from bench.router.upstream import ANSWER
from inferplane.router.core import Gateway, Request
from tests.router import configs
from tests.router.configs import auth, chat


async def _two_requests() -> list[str | None]:
    seen: list[str | None] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers.get("cookie"))
        response = web.Response(body=ANSWER, content_type="application/json")
        response.set_cookie("AWSALB", "sticky-tenant-a")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    config = configs.config(
        {"t": configs.target(f"http://localhost:{port}", ("public",))},
        [{"name": "default", "targets": ["t"]}],
    )
    gateway = Gateway(config)
    await gateway.start()
    try:
        for n in range(2):
            body = orjson.dumps(chat(f"question {n}"))
            headers = {k.lower(): v for k, v in auth().items()}
            response = await gateway.handle(Request("POST", "/v1/chat/completions", headers, body))
            assert response.status == 200, response.body
    finally:
        await gateway.close()
        await runner.cleanup()
    return seen


def test_a_cookie_a_target_set_is_not_sent_back() -> None:
    assert asyncio.run(_two_requests()) == [None, None]
