"""The reference: a bare aiohttp pass-through (no auth, no routing, no metrics)."""

from __future__ import annotations

import argparse

import aiohttp
from aiohttp import web


def make_app(upstream: str) -> web.Application:
    state: dict[str, aiohttp.ClientSession] = {}

    async def start(_: web.Application) -> None:
        state["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def stop(_: web.Application) -> None:
        await state["session"].close()

    async def proxy(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        async with state["session"].post(
            upstream + "/v1/chat/completions",
            data=body,
            headers={"content-type": "application/json"},
        ) as upstream_response:
            if "text/event-stream" not in upstream_response.headers.get("content-type", ""):
                return web.Response(
                    body=await upstream_response.read(), content_type="application/json"
                )
            out = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await out.prepare(request)
            async for data in upstream_response.content.iter_any():
                await out.write(data)
            await out.write_eof()
            return out

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", proxy)
    app.router.add_get("/healthz", health)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    web.run_app(
        make_app(args.upstream), host="127.0.0.1", port=args.port, access_log=None, print=None
    )
