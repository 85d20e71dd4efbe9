"""The chat chunk stream as Anthropic's message events: ``message_start``,
``content_block_start`` / ``_delta`` / ``_stop``, ``message_delta``, ``message_stop``."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..chunks import ChatBlocks, plain_text
from .answer import STOP_REASONS, message_id

__all__ = ["events"]


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def events(
    blocks: AsyncIterator[bytes], model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    """The chat chunk stream as Anthropic's message events, block for block."""
    del include_usage
    reader = ChatBlocks(_StreamWriter(model))
    try:
        async for block in blocks:
            out = reader.feed(block)
            if out:
                yield out
    finally:
        await blocks.aclose()  # type: ignore[attr-defined]


class _StreamWriter:
    """State of one translated stream: which content block is open, usage, stop reason."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.started = False
        self.block = -1
        self.open: str | None = None  # "text" or "tool:<index>"
        self.stop_reason = "end_turn"
        self.input_tokens = 0
        self.output_tokens = 0
        self._delta_head = b""
        """The text delta event up to its text, for the open block."""

    def _start(self) -> bytes:
        self.started = True
        return _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id(),
                    "type": "message",
                    "role": "assistant",
                    "model": self.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 0, "output_tokens": 0},
                },
            },
        )

    def _close(self) -> bytes:
        if self.open is None:
            return b""
        self.open = None
        return _event("content_block_stop", {"type": "content_block_stop", "index": self.block})

    def _open(self, name: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self.block += 1
        self.open = name
        self._delta_head = (
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
            + str(self.block).encode()
            + b',"delta":{"type":"text_delta","text":'
        )
        start = {"type": "content_block_start", "index": self.block, "content_block": block}
        return out + _event("content_block_start", start)

    def _text_delta(self, text: str) -> bytes:
        """The hot event, written from a template: one dumps of the text only."""
        return self._delta_head + orjson.dumps(text) + b"}}\n\n"

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event(
            "content_block_delta",
            {"type": "content_block_delta", "index": self.block, "delta": delta},
        )

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        if self.open == "text":
            text = plain_text(chunk)
            if text is not None:  # the common event: more text of the open block
                return self._delta_head + orjson.dumps(text) + b"}}\n\n"
        out = b"" if self.started else self._start()
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.input_tokens = int(usage.get("prompt_tokens") or 0)
            self.output_tokens = int(usage.get("completion_tokens") or 0)
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                if self.open != "text":
                    out += self._open("text", {"type": "text", "text": ""})
                out += self._text_delta(text)
            for call in delta.get("tool_calls") or ():
                name = f"tool:{call.get('index', 0)}"
                function = call.get("function") or {}
                if self.open != name:
                    block: dict[str, Any] = {
                        "type": "tool_use",
                        "id": call.get("id") or "toolu_" + secrets.token_hex(8),
                        "name": function.get("name") or "",
                        "input": {},
                    }
                    out += self._open(name, block)
                arguments = function.get("arguments")
                if arguments:
                    out += self._delta({"type": "input_json_delta", "partial_json": arguments})
            finish = choice.get("finish_reason")
            if finish:
                self.stop_reason = STOP_REASONS.get(finish, "end_turn")
        return out

    def failed(self, message: str) -> bytes:
        error = {"type": "api_error", "message": message}
        return _event("error", {"type": "error", "error": error})

    def finish(self) -> bytes:
        out = (b"" if self.started else self._start()) + self._close()
        out += _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": None},
                "usage": {
                    "input_tokens": self.input_tokens,
                    "output_tokens": self.output_tokens,
                },
            },
        )
        return out + _event("message_stop", {"type": "message_stop"})
