"""Server-sent events: an incremental parser and the OpenAI chunk shapes.

Adapters whose upstream is not OpenAI-shaped (Anthropic, Vertex, Bedrock, SageMaker)
parse events with ``SseParser`` and emit OpenAI ``chat.completion.chunk`` events built
here, so the core relays one format to the client whatever the target.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson

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


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def usage_dict(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chunk_event(
    completion_id: str,
    model: str,
    created: int,
    delta: dict[str, Any],
    *,
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
) -> bytes:
    chunk: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": []
        if usage is not None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def completion_body(
    model: str, text: str, finish_reason: str, prompt: int, completion: int
) -> bytes:
    return orjson.dumps(
        {
            "id": new_completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": usage_dict(prompt, completion),
        }
    )


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
