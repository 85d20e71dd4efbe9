"""The one fake OpenAI-compatible upstream: a chat completion as JSON, or as server-sent
chunks, carrying a given text and token usage.

The smoke harness answers an ``openai`` target with it (``wire.reply``); tests that run the
router out of process serve it with ``LoopbackServer(OpenAIUpstream())``; the router
benchmark writes the same chunks from an aiohttp server (``bench.router.upstream``), one
write per chunk, as a token-by-token server does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from inferplane.smoke.server import Call, Reply, json_reply

__all__ = [
    "ANSWER",
    "DONE",
    "OpenAIUpstream",
    "Usage",
    "chunk",
    "completion",
    "sse",
    "stream_events",
]

ANSWER = "hello from the fake upstream"
DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Usage:
    """Token counts an answer reports."""

    prompt: int = 3
    completion: int = 5

    def wire(self) -> dict[str, int]:
        total = self.prompt + self.completion
        return {
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": total,
        }


def _dumps(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def completion(
    model: str, text: str, usage: Usage, *, id_: str = "chatcmpl-fake", created: int = 0
) -> dict[str, object]:
    """A ``chat.completion`` answering ``text``."""
    message = {"role": "assistant", "content": text}
    return {
        "id": id_,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage.wire(),
    }


def chunk(
    model: str,
    delta: dict[str, object],
    finish: str | None = None,
    *,
    id_: str = "chatcmpl-fake",
    created: int = 0,
) -> dict[str, object]:
    """One ``chat.completion.chunk`` with one choice."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {
        "id": id_,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [choice],
    }


def usage_chunk(
    model: str, usage: Usage, *, id_: str = "chatcmpl-fake", created: int = 0
) -> dict[str, object]:
    """The last chunk of a stream asked with ``stream_options.include_usage``."""
    return {
        "id": id_,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage.wire(),
    }


def stream_events(
    model: str,
    pieces: Sequence[str],
    usage: Usage | None,
    *,
    id_: str = "chatcmpl-fake",
    created: int = 0,
) -> list[dict[str, object]]:
    """A whole stream: the role, one chunk per piece, the finish, then usage if asked."""
    deltas: list[dict[str, object]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in pieces]
    events = [chunk(model, delta, id_=id_, created=created) for delta in deltas]
    events.append(chunk(model, {}, "stop", id_=id_, created=created))
    if usage is not None:
        events.append(usage_chunk(model, usage, id_=id_, created=created))
    return events


def sse(event: object) -> bytes:
    """One server-sent event carrying ``event`` as JSON."""
    return b"data: " + _dumps(event) + b"\n\n"


class OpenAIUpstream:
    """An app for ``LoopbackServer``: answers ``POST /v1/chat/completions`` with ``answer``
    (JSON, or streamed word by word) and records every call it receives."""

    def __init__(self, answer: str = ANSWER, usage: Usage = Usage()) -> None:
        self.answer = answer
        self.usage = usage
        self.calls: list[Call] = []

    def __call__(self, call: Call) -> Reply:
        self.calls.append(call)
        if (call.method, call.path) != ("POST", "/v1/chat/completions"):
            return json_reply(404, {"error": {"message": f"no route {call.method} {call.path}"}})
        body = call.json() or {}
        model = str(body.get("model", "fake"))
        if not body.get("stream"):
            return Reply(
                200, "application/json", _dumps(completion(model, self.answer, self.usage))
            )
        pieces = [word + " " for word in self.answer.split(" ")]
        wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = stream_events(model, pieces, self.usage if wants_usage else None)
        return Reply(200, "text/event-stream", b"".join(map(sse, events)) + DONE)
