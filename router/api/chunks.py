"""Reading the core's OpenAI chunk stream back, for APIs that re-shape it.

The core relays whole SSE events, possibly several per block (a target's events that
arrived together). ``ChatBlocks.feed`` hands each event of a block straight to the API's
``ChunkWriter`` (a ``chat.completion.chunk`` dict, the error event the core ends a failed
stream with, or the final ``[DONE]``) and returns what the writer wrote, as one block:
a translated stream costs the server as many writes as the chat stream it comes from, and
no per-event objects are built on the way.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

__all__ = ["ChatBlocks", "ChunkWriter", "plain_text"]


class ChunkWriter(Protocol):
    """One API's translation of the chat stream, event by event."""

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        """A ``chat.completion.chunk``."""

    def failed(self, message: str) -> bytes:
        """The stream failed after it started (the core's error event)."""

    def finish(self) -> bytes:
        """``[DONE]``: the target finished cleanly."""


class ChatBlocks:
    """Feed the core's blocks; get each block translated (a partial event waits for the
    rest, though the core sends whole events). Synchronous: the translator's own loop
    reads the stream, no extra generator layer per block."""

    __slots__ = ("_pending", "_writer")

    def __init__(self, writer: ChunkWriter) -> None:
        self._pending = b""
        self._writer = writer

    def feed(self, block: bytes) -> bytes:
        if self._pending:
            block = self._pending + block
        cut = block.find(b"\n\n")
        if cut >= 0 and cut == len(block) - 2:  # the usual block: one whole event
            self._pending = b""
            if block[:7] == b"data: {":
                try:
                    parsed = orjson.loads(block[6:cut])
                except orjson.JSONDecodeError:
                    return b""
                if "error" not in parsed:
                    return self._writer.chunk(parsed)
            return self._event(block[:cut])
        cut = block.rfind(b"\n\n")
        if cut < 0:
            self._pending = block
            return b""
        self._pending = block[cut + 2 :]
        return b"".join([self._event(raw) for raw in block[:cut].split(b"\n\n")])

    def _event(self, raw: bytes) -> bytes:
        if raw[:7] == b"data: {":  # the usual event: a chunk, nothing else to read
            try:
                parsed = orjson.loads(raw[6:])
            except orjson.JSONDecodeError:
                return b""
            if "error" not in parsed:
                return self._writer.chunk(parsed)
            data, error = raw[6:], False
        else:
            error = raw.startswith(b"event: error")
            start = raw.find(b"data: ")
            if start < 0:
                return b""
            data = raw[start + 6 :]
            if data == b"[DONE]":
                return self._writer.finish()
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return b""
        if not isinstance(parsed, dict):
            return b""
        failure = parsed.get("error")
        if error or isinstance(failure, dict):
            found = failure if isinstance(failure, dict) else {}
            return self._writer.failed(str(found.get("message")))
        return self._writer.chunk(parsed)


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
