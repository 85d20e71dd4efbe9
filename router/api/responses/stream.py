"""The chat chunk stream as Responses events: ``response.created``,
``response.output_item.added``, ``response.output_text.delta``, ..., ``response.completed``
(``response.failed`` after a mid-stream failure)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..chunks import ChatBlocks, plain_text
from .objects import call_item, response_shell, text_item, usage_object

__all__ = ["events"]

_DELTA_HEAD = (
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
    b'"sequence_number":'
)
_DELTA_TAIL = b',"logprobs":[]}\n\n'


async def events(blocks: AsyncIterator[bytes], echo: dict[str, Any]) -> AsyncIterator[bytes]:
    """The chat chunk stream as Responses events, block for block."""
    writer = _StreamWriter(echo)
    created = writer.created()
    reader = ChatBlocks(writer)
    try:
        async for block in blocks:
            out = reader.feed(block)
            if created:  # response.created goes out with the first block
                out, created = created + out, b""
            if out:
                yield out
    finally:
        await blocks.aclose()  # type: ignore[attr-defined]


class _StreamWriter:
    """State of one translated stream: the open output item, text so far, usage."""

    def __init__(self, echo: dict[str, Any]) -> None:
        self.echo = echo
        self.sequence = 0
        self.output: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.text_item: dict[str, Any] | None = None
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage = usage_object(0, 0)
        self.incomplete = False
        self._delta_middle = b""
        """The text delta event between its sequence number and its text, for the open
        text item (its id and output index)."""

    def _event(self, kind_: str, data: dict[str, Any]) -> bytes:
        data = {"type": kind_, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return b"event: " + kind_.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _text_delta(self, text: str) -> bytes:
        """The hot event, written from a template: one dumps of the text only."""
        sequence = self.sequence
        self.sequence += 1
        number, delta = str(sequence).encode(), orjson.dumps(text)
        return b"".join((_DELTA_HEAD, number, self._delta_middle, delta, _DELTA_TAIL))

    def created(self) -> bytes:
        created = response_shell(self.echo, "in_progress")
        return self._event("response.created", {"response": created}) + self._event(
            "response.in_progress", {"response": created}
        )

    def _open_text(self) -> bytes:
        item = text_item("msg_" + secrets.token_hex(12), "", "in_progress")
        self.text_item = item
        self.output.append(item)
        index = len(self.output) - 1
        where = b',"item_id":"%s","output_index":%d' % (item["id"].encode(), index)
        self._delta_middle = where + b',"content_index":0,"delta":'
        part = {"type": "output_text", "text": "", "annotations": []}
        return self._event(
            "response.output_item.added", {"output_index": index, "item": item}
        ) + self._event(
            "response.content_part.added",
            {"item_id": item["id"], "output_index": index, "content_index": 0, "part": part},
        )

    def _close_text(self) -> bytes:
        item = self.text_item
        if item is None:
            return b""
        self.text_item = None
        index = self.output.index(item)
        text = "".join(self.text)
        self.text = []
        part = {"type": "output_text", "text": text, "annotations": []}
        item.update(text_item(item["id"], text, "completed"))
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        return (
            self._event("response.output_text.done", {**where, "text": text})
            + self._event("response.content_part.done", {**where, "part": part})
            + self._event("response.output_item.done", {"output_index": index, "item": item})
        )

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        if self.text_item is not None:
            text = plain_text(chunk)
            if text is not None:
                self.text.append(text)  # the common event: more text of the open item
                return self._text_delta(text)
        out = b""
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage_object(
                int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            )
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if isinstance(text, str) and text:
                if self.text_item is None:
                    out += self._open_text()
                assert self.text_item is not None
                self.text.append(text)
                out += self._text_delta(text)
            for call in delta.get("tool_calls") or ():
                out += self._call_delta(call)
            if choice.get("finish_reason") == "length":
                self.incomplete = True
        return out

    def _call_delta(self, call: dict[str, Any]) -> bytes:
        out = self._close_text()
        index = int(call.get("index", 0))
        function = call.get("function") or {}
        item = self.calls.get(index)
        if item is None:
            item = call_item(
                "fc_" + secrets.token_hex(12),
                call.get("id") or "call_" + secrets.token_hex(8),
                function.get("name") or "",
                "",
            )
            item["status"] = "in_progress"
            self.calls[index] = item
            self.output.append(item)
            out += self._event(
                "response.output_item.added",
                {"output_index": len(self.output) - 1, "item": dict(item)},
            )
        arguments = function.get("arguments")
        if arguments:
            item["arguments"] += arguments
            out += self._event(
                "response.function_call_arguments.delta",
                {
                    "item_id": item["id"],
                    "output_index": self.output.index(item),
                    "delta": arguments,
                },
            )
        return out

    def _close_calls(self) -> bytes:
        out = b""
        for item in self.calls.values():
            index = self.output.index(item)
            item["status"] = "completed"
            out += self._event(
                "response.function_call_arguments.done",
                {"item_id": item["id"], "output_index": index, "arguments": item["arguments"]},
            )
            out += self._event("response.output_item.done", {"output_index": index, "item": item})
        self.calls = {}
        return out

    def finish(self) -> bytes:
        out = self._close_text() + self._close_calls()
        response = response_shell(self.echo, "incomplete" if self.incomplete else "completed")
        if self.incomplete:
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        response["output"] = self.output
        response["usage"] = self.usage
        name = "response.incomplete" if self.incomplete else "response.completed"
        return out + self._event(name, {"response": response})

    def failed(self, message: str) -> bytes:
        response = response_shell(self.echo, "failed")
        response["output"] = self.output
        response["error"] = {"code": "server_error", "message": message}
        return self._event("response.failed", {"response": response})
