"""Server-sent events: an incremental parser and the OpenAI chunk shapes.

Adapters whose upstream is not OpenAI-shaped (Anthropic, Vertex, Bedrock, SageMaker)
parse events with ``SseParser`` and emit OpenAI ``chat.completion.chunk`` events encoded
here (the shapes themselves are ``router.openai_shapes``), so the core relays one format
to the client whatever the target.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Any, ParamSpec

import orjson

from .openai_shapes import chunk_dict, completion_dict, new_completion_id, usage_dict

__all__ = [
    "DONE",
    "SseEvent",
    "SseParser",
    "chunk_event",
    "completion_body",
    "error_event",
    "new_completion_id",
    "replay",
    "usage_dict",
]

DONE = b"data: [DONE]\n\n"
P = ParamSpec("P")

SseEvent = tuple[str | None, bytes]
"""(event name or None, data)"""


class SseParser:
    """Feed bytes as they arrive; get complete events back."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[SseEvent]:
        buffer = self._buffer + data
        if b"\r" in buffer:
            buffer = buffer.replace(b"\r\n", b"\n")
        *blocks, self._buffer = buffer.split(b"\n\n")
        return [event for block in blocks if (event := _parse_block(block)) is not None]


def _parse_block(block: bytes) -> SseEvent | None:
    name: str | None = None
    data: list[bytes] = []
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            data.append(line[5:].lstrip(b" "))
        elif line.startswith(b"event:"):
            name = line[6:].strip().decode("utf-8", "replace")
    if not data:
        return None
    return name, b"\n".join(data)


def _as_event(build: Callable[P, dict[str, Any]]) -> Callable[P, bytes]:
    def event(*args: P.args, **kwargs: P.kwargs) -> bytes:
        return b"data: " + orjson.dumps(build(*args, **kwargs)) + b"\n\n"

    event.__doc__ = f"``{build.__name__}`` as one SSE ``data:`` event."
    return event


chunk_event = _as_event(chunk_dict)


def completion_body(
    model: str, text: str, finish_reason: str, prompt: int, completion: int
) -> bytes:
    return orjson.dumps(completion_dict(model, text, finish_reason, prompt, completion))


def error_event(message: str, error_type: str, code: str | None) -> bytes:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return b"event: error\ndata: " + orjson.dumps(body) + b"\n\n"


async def replay(body: bytes, include_usage: bool) -> AsyncIterator[bytes]:
    """A cached chat answer as a short stream: role and content, finish, [DONE]."""
    answer = orjson.loads(body)
    choice = answer["choices"][0]
    ids = (answer.get("id", "chatcmpl-cached"), answer.get("model", ""), int(time.time()))
    content = choice["message"].get("content") or ""
    yield chunk_event(*ids, {"role": "assistant", "content": content})
    yield chunk_event(*ids, {}, finish_reason=choice.get("finish_reason") or "stop")
    if include_usage and isinstance(answer.get("usage"), dict):
        yield chunk_event(*ids, {}, usage=answer["usage"])
    yield DONE
