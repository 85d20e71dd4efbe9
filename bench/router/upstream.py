"""A mock OpenAI-compatible upstream: instant answers, JSON or SSE with N chunks."""

from __future__ import annotations

import argparse

import orjson
from aiohttp import web

ANSWER = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "The main drivers were pricing."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 40, "completion_tokens": 8, "total_tokens": 48},
    }
)


def _chunk(index: int, finish: str | None = None) -> bytes:
    delta = {"content": f"tok{index} "} if finish is None else {}
    chunk = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


USAGE = (
    b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,'
    b'"model":"m","choices":[],"usage":{"prompt_tokens":40,"completion_tokens":20,'
    b'"total_tokens":60}}\n\n'
)


def make_chunks(chunks: int) -> list[bytes]:
    """A streamed answer as the router relays it: ``chunks`` chunks, usage, ``[DONE]``."""
    body = [_chunk(i) for i in range(chunks - 1)] + [_chunk(chunks, "stop")]
    return [*body, USAGE, b"data: [DONE]\n\n"]


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
        await response.write(b"data: [DONE]\n\n")
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
