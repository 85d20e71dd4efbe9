"""Test doubles at the network boundary: real HTTP servers on 127.0.0.1.

``LoopThread`` runs an event loop in a background thread so that tests stay synchronous
and talk to servers through ordinary clients (httpx, the official openai client).
``FakeOpenAI`` is an OpenAI-compatible upstream whose behaviour a test switches at run time.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

import orjson
from aiohttp import web

T = TypeVar("T")


class Listening(Protocol):
    """Something the loop serves on a loopback URL and stops when it closes."""

    url: str

    def stop(self) -> None: ...


class LoopThread:
    def __init__(self) -> None:
        self.served: list[Listening] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def serve(self, app: web.Application) -> Served:
        served = Served(self, app)
        self.served.append(served)
        return served

    def close(self) -> None:
        for served in reversed(self.served):
            served.stop()

        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        self.run(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Served:
    """An aiohttp app served on a free loopback port, in a LoopThread."""

    def __init__(self, loop: LoopThread, app: web.Application) -> None:
        self._loop = loop
        self.runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        loop.run(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        loop.run(site.start())
        self.port: int = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self._loop.run(self.runner.cleanup())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeOpenAI:
    """An OpenAI-compatible upstream. ``mode``: ok, status, hang, reset, midstream, garbage."""

    def __init__(self, name: str, *, chunks: int = 5) -> None:
        self.name = name
        self.mode = "ok"
        self.status = 503
        self.chunks = chunks
        self.echo = False
        """Answer with the last message's content (shows which question an answer is for)."""
        self.requests: list[dict[str, Any]] = []
        self.peers: list[object] = []
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/v1/chat/completions", self._chat)
        self.app.router.add_post("/v1/completions", self._legacy)
        self.app.router.add_post("/v1/embeddings", self._embeddings)
        self.paths: list[str] = []
        self.tool_call: tuple[str, str] | None = None
        """(name, arguments): answer with one tool call instead of text."""
        """The path of every request, in order (which endpoint a request reached)."""

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.requests.append(body)
        self.paths.append(request.path)
        inputs = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), 0.5, -0.5]}
            for i, text in enumerate(inputs)
        ]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 4, "total_tokens": 4},
            }
        )

    async def _legacy(self, request: web.Request) -> web.StreamResponse:
        """Legacy text completions, JSON or streamed."""
        body = orjson.loads(await request.read())
        self.requests.append(body)
        self.paths.append(request.path)
        if body.get("stream"):
            response = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await response.prepare(request)
            for index in range(self.chunks):
                choice = {"index": 0, "text": f"{self.name}-{index} ", "finish_reason": None}
                chunk = {
                    "id": "cmpl-1",
                    "object": "text_completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [choice],
                }
                await response.write(b"data: " + orjson.dumps(chunk) + b"\n\n")
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
            return response
        return web.json_response(
            {
                "id": "cmpl-1",
                "object": "text_completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "text": f"completion from {self.name}",
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        self.requests.append(body)
        self.paths.append(request.path)
        assert request.transport is not None
        self.peers.append(request.transport.get_extra_info("peername"))
        if self.mode == "status":
            return web.json_response(
                {"error": {"message": f"{self.name} is overloaded", "type": "server_error"}},
                status=self.status,
            )
        if self.mode == "hang":
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.release.wait(), 30)
        if self.mode == "reset":
            _reset(request)
            return web.Response()
        if self.tool_call is not None:
            return await self._tool_call(request, body, *self.tool_call)
        if body.get("stream"):
            return await self._stream(request, body)
        text = f"answer from {self.name}"
        if self.echo:
            text += f" to: {body['messages'][-1]['content']}"
        return web.json_response(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
            }
        )

    async def _tool_call(
        self, request: web.Request, body: dict[str, Any], name: str, arguments: str
    ) -> web.StreamResponse:
        """One tool call, as OpenAI sends it: whole, or streamed as id + name, then the
        arguments in two pieces, then finish_reason tool_calls."""
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        if not body.get("stream"):
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
            usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
            return web.json_response(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [choice],
                    "usage": usage,
                }
            )
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        half = len(arguments) // 2
        opening = {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        deltas: list[dict[str, Any]] = [
            {"role": "assistant", "content": None, "tool_calls": [opening]},
            {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]},
        ]
        for delta in deltas:
            await response.write(_chunk(body["model"], delta, None))
        await response.write(_chunk(body["model"], {}, "tool_calls"))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _stream(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for index in range(self.chunks):
            if self.mode == "midstream" and index == 2:
                _reset(request)
                return response
            delta = {"content": f"{self.name}-{index} "}
            if index == 0:
                delta["role"] = "assistant"
            await response.write(_chunk(body["model"], delta, None))
            await asyncio.sleep(0)
        await response.write(_chunk(body["model"], {}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 7, "completion_tokens": self.chunks, "total_tokens": 12}
            await response.write(
                b"data: "
                + orjson.dumps(
                    {
                        "id": "c",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body["model"],
                        "choices": [],
                        "usage": usage,
                    }
                )
                + b"\n\n"
            )
        await response.write(b"data: [DONE]\n\n")
        # The chunked terminator in its own segment, as from a real server under load.
        await asyncio.sleep(0.01)
        await response.write_eof()
        return response


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST, as a crashing upstream would."""
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@contextlib.contextmanager
def running(loop: LoopThread, *apps: web.Application) -> Iterator[list[Served]]:
    served = [Served(loop, app) for app in apps]
    try:
        yield served
    finally:
        for each in served:
            each.stop()


async def gather(*aws: Awaitable[T]) -> list[T]:
    return list(await asyncio.gather(*aws))
