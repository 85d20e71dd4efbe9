"""Reading the core's OpenAI chunk stream back as events, for APIs that re-shape it.

The core relays whole SSE events (possibly several per block); ``chat_events`` parses
them into ``chat.completion.chunk`` dicts, the error event the core ends a failed stream
with, and the final ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from router.sse import SseParser

__all__ = ["ChatEvent", "chat_events"]


@dataclass(slots=True)
class ChatEvent:
    chunk: dict[str, Any] | None = None
    """A chat.completion.chunk."""
    error: dict[str, Any] | None = None
    """The ``error`` object of an error event: the stream failed after it started."""
    done: bool = False


async def chat_events(blocks: AsyncIterator[bytes]) -> AsyncIterator[ChatEvent]:
    parser = SseParser()
    try:
        async for block in blocks:
            for name, data in parser.feed(block):
                if data == b"[DONE]":
                    yield ChatEvent(done=True)
                    continue
                try:
                    parsed = orjson.loads(data)
                except orjson.JSONDecodeError:
                    continue
                if not isinstance(parsed, dict):
                    continue
                if name == "error" or isinstance(parsed.get("error"), dict):
                    yield ChatEvent(error=parsed.get("error") or {})
                else:
                    yield ChatEvent(chunk=parsed)
    finally:
        await blocks.aclose()  # type: ignore[attr-defined]
