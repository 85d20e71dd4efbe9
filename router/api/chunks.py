"""Reading the core's OpenAI chunk stream back as events, for APIs that re-shape it.

The core relays whole SSE events, possibly several per block (a target's events that
arrived together). ``ChatBlocks.feed`` returns, per block, its events parsed: the
``chat.completion.chunk`` dicts, the error event the core ends a failed stream with, and
the final ``[DONE]``. Translators answer one block with one block, so a translated stream
costs the server as many writes as the chat stream it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["ChatBlocks", "ChatEvent", "plain_text"]


@dataclass(slots=True)
class ChatEvent:
    chunk: dict[str, Any] | None = None
    """A chat.completion.chunk."""
    error: dict[str, Any] | None = None
    """The ``error`` object of an error event: the stream failed after it started."""
    done: bool = False


_DONE = ChatEvent(done=True)


class ChatBlocks:
    """Feed the core's blocks; get each block's events (a partial event waits for the
    rest, though the core sends whole events). Synchronous: the translator's own loop
    reads the stream, no extra generator layer per block."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, block: bytes) -> list[ChatEvent]:
        if self._pending:
            block = self._pending + block
        cut = block.rfind(b"\n\n")
        if cut < 0:
            self._pending = block
            return []
        self._pending = block[cut + 2 :]
        return [e for raw in block[:cut].split(b"\n\n") if (e := _event(raw)) is not None]


def _event(raw: bytes) -> ChatEvent | None:
    error = raw.startswith(b"event: error")
    start = raw.find(b"data: ")
    if start < 0:
        return None
    data = raw[start + 6 :]
    if data == b"[DONE]":
        return _DONE
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    if error or isinstance(parsed.get("error"), dict):
        return ChatEvent(error=parsed.get("error") or {})
    return ChatEvent(chunk=parsed)


def plain_text(chunk: dict[str, Any]) -> str | None:
    """The text of a chunk that carries only text (no usage, tool calls or finish)."""
    choices = chunk.get("choices")
    if not choices or len(choices) != 1 or chunk.get("usage") is not None:
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if choice.get("finish_reason") or not delta or delta.get("tool_calls"):
        return None
    text = delta.get("content")
    return text if isinstance(text, str) and text else None
