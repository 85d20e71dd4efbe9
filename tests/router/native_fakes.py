"""Loopback fakes of the APIs the router translates to: Anthropic's Messages and Gemini on
Vertex AI. Each records what it got and refuses what the real API refuses in a request's
content (``tests.support.native_wire``) with that API's own 400, so a translation that the
real API would refuse fails here too."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from tests.support.native_wire import WireError, check_anthropic, check_gemini

__all__ = ["TOOL_INPUT", "Recorder", "anthropic_app", "vertex_app"]


def _sse(events: list[tuple[str | None, dict[str, Any]]]) -> bytes:
    out = b""
    for name, data in events:
        out += (
            (f"event: {name}\n".encode() if name else b"")
            + b"data: "
            + orjson.dumps(data)
            + b"\n\n"
        )
    return out


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    async def record(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = orjson.loads(await request.read())
        self.requests.append((str(request.rel_url), dict(request.headers), body))
        return body


TOOL_INPUT = {"city": "Zürich", "days": 2}


def _tool_events(name: str) -> list[tuple[str | None, dict[str, Any]]]:
    """A text block then a tool_use block whose input arrives in two JSON pieces."""
    raw = orjson.dumps(TOOL_INPUT).decode()
    start = {"type": "tool_use", "id": "toolu_01", "name": name, "input": {}}
    return [
        ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 9}}}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "checking"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 1, "content_block": start},
        ),
        *[
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
            for piece in (raw[:7], raw[7:])
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": 5},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def anthropic_app(
    recorder: Recorder, *, cut: bool = False, tool: str | None = None
) -> web.Application:
    """``tool``: answer with a call of that tool (input ``TOOL_INPUT``) after some text."""

    async def messages(request: web.Request) -> web.StreamResponse:
        body = await recorder.record(request)
        try:
            check_anthropic(body)
        except WireError as exc:
            error = {"type": "invalid_request_error", "message": str(exc)}
            return web.json_response({"type": "error", "error": error}, status=400)
        if tool is not None and body["stream"]:
            return web.Response(body=_sse(_tool_events(tool)), content_type="text/event-stream")
        if tool is not None:
            use = {"type": "tool_use", "id": "toolu_01", "name": tool, "input": TOOL_INPUT}
            return web.json_response(
                {
                    "type": "message",
                    "content": [{"type": "text", "text": "checking"}, use],
                    "stop_reason": "tool_use",
                    "usage": {"input_tokens": 9, "output_tokens": 5},
                }
            )
        if not body["stream"]:
            return web.json_response(
                {
                    "type": "message",
                    "content": [{"type": "text", "text": "hi from claude"}],
                    "stop_reason": "max_tokens",
                    "usage": {"input_tokens": 9, "output_tokens": 4},
                }
            )
        events: list[tuple[str | None, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 9}}}),
            (
                "content_block_delta",
                {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi "}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "there"}},
            ),
        ]
        if cut:
            events.append(
                (
                    "error",
                    {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
                )
            )
        else:
            events += [
                (
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn"},
                        "usage": {"output_tokens": 2},
                    },
                ),
                ("message_stop", {"type": "message_stop"}),
            ]
        return web.Response(body=_sse(events), content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    return app


def vertex_app(recorder: Recorder, *, tool: str | None = None) -> web.Application:
    """``tool``: answer with a ``functionCall`` of that function (args ``TOOL_INPUT``)."""

    async def generate(request: web.Request) -> web.StreamResponse:
        body = await recorder.record(request)
        if "contents" in body:
            try:
                check_gemini(body)
            except WireError as exc:
                error = {"code": 400, "message": str(exc), "status": "INVALID_ARGUMENT"}
                return web.json_response({"error": error}, status=400)
        usage = {"promptTokenCount": 6, "candidatesTokenCount": 2}
        if request.path.endswith(":predict"):  # text embeddings
            instances = orjson.loads(await request.read())["instances"]
            predictions = [
                {
                    "embeddings": {
                        "values": [float(len(i["content"])), 1.0],
                        "statistics": {"token_count": 2},
                    }
                }
                for i in instances
            ]
            return web.json_response({"predictions": predictions})
        if tool is not None:
            parts = [{"functionCall": {"name": tool, "args": TOOL_INPUT}}]
            answer = {
                "candidates": [
                    {"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}
                ],
                "usageMetadata": usage,
            }
            if request.path.endswith(":generateContent"):
                return web.json_response(answer)
            return web.Response(body=_sse([(None, answer)]), content_type="text/event-stream")
        if request.path.endswith(":generateContent"):
            return web.json_response(
                {
                    "candidates": [
                        {
                            "content": {"role": "model", "parts": [{"text": "hallo"}]},
                            "finishReason": "STOP",
                        }
                    ],
                    "usageMetadata": usage,
                }
            )
        events: list[tuple[str | None, dict[str, Any]]] = [
            (None, {"candidates": [{"content": {"role": "model", "parts": [{"text": "hal"}]}}]}),
            (
                None,
                {
                    "candidates": [
                        {
                            "content": {"role": "model", "parts": [{"text": "lo"}]},
                            "finishReason": "STOP",
                        }
                    ],
                    "usageMetadata": usage,
                },
            ),
        ]
        return web.Response(body=_sse(events), content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/v1/models/{tail:.*}", generate)
    return app
