"""A mock OpenAI-compatible upstream: instant answers, JSON or SSE with N chunks."""

from __future__ import annotations

import argparse

import orjson
from aiohttp import web

from inferplane.smoke import openai_upstream as openai

# The one fake OpenAI upstream's answers (inferplane.smoke.openai_upstream), served by
# aiohttp here: the benchmark needs an upstream that is never the bottleneck, and writes
# one chunk per write as a token-by-token server does.
BENCH = "chatcmpl-bench"
ANSWER = orjson.dumps(
    openai.completion("m", "The main drivers were pricing.", openai.Usage(40, 8), id_=BENCH)
)


def _chunk(index: int, finish: str | None = None) -> bytes:
    delta: dict[str, object] = {"content": f"tok{index} "} if finish is None else {}
    return openai.sse(openai.chunk("m", delta, finish, id_=BENCH))


USAGE = openai.sse(openai.usage_chunk("m", openai.Usage(40, 20), id_=BENCH))


def make_chunks(chunks: int) -> list[bytes]:
    """A streamed answer as the router relays it: ``chunks`` chunks, usage, ``[DONE]``."""
    body = [_chunk(i) for i in range(chunks - 1)] + [_chunk(chunks, "stop")]
    return [*body, USAGE, openai.DONE]


def make_app(chunks: int) -> web.Application:
    body_chunks = [_chunk(i) for i in range(chunks - 1)] + [_chunk(chunks, "stop")]
    usage = USAGE

    async def chat(request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        if not body.get("stream"):
            return web.Response(body=ANSWER, content_type="application/json")
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for chunk in body_chunks:  # one write per chunk, as a token-by-token server does
            await response.write(chunk)
        if (body.get("stream_options") or {}).get("include_usage"):
            await response.write(usage)
        await response.write(openai.DONE)
        await response.write_eof()
        return response

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/health", health)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=20)
    args = parser.parse_args()
    web.run_app(
        make_app(args.chunks), host="127.0.0.1", port=args.port, access_log=None, print=None
    )
