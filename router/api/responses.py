"""``POST /v1/responses``: OpenAI's Responses API, the stateless subset, on the chat path.

``input`` (a string or items: messages, ``function_call`` and ``function_call_output``),
``instructions`` (a system message), function ``tools`` and ``tool_choice`` are translated
to a chat body, admitted and routed like a chat completion, and the answer comes back as
a ``response`` object, or with ``stream: true`` as the Responses events
(``response.created``, ``response.output_item.added``, ``response.output_text.delta``, ...,
``response.completed``). State kept by OpenAI (``previous_response_id``, ``conversation``,
``store: true`` retrieval) is refused by name: the router keeps no conversations.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from router.api.chunks import ChatBlocks
from router.api.parse import json_object, kind, require
from router.chat import ChatRequest, chat_request, message_text
from router.errors import RequestError

if TYPE_CHECKING:
    from router.core import Endpoint, Gateway, Request, Response

__all__ = ["endpoints", "to_chat"]

PATH = "/v1/responses"

_PASSED = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_output_tokens": "max_tokens",
    "parallel_tool_calls": "parallel_tool_calls",
    "user": "user",
    "safety_identifier": "safety_identifier",
    "prompt_cache_key": "prompt_cache_key",
    "service_tier": "service_tier",
}
_IGNORED = frozenset(
    {
        "model",
        "input",
        "instructions",
        "stream",
        "tools",
        "tool_choice",
        "metadata",
        "store",
        "text",
        "reasoning",
        "truncation",
        "include",
        "stream_options",
        "top_logprobs",
        "background",
    }
)
_STATEFUL = ("previous_response_id", "conversation", "prompt")


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    from router.core import Endpoint

    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        echo = _echo(call.chat)
        response = await gateway.answer(call)
        if response.stream is not None:
            response.stream = _events(response.stream, echo)
        elif response.status == 200:
            response.body = orjson.dumps(to_response(orjson.loads(response.body), echo))
        return response

    return {PATH: Endpoint("POST", handle)}


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    chat = chat_request(to_chat(body))
    chat.source = body  # the PII scan reads what the client sent, not the translation
    return chat


def to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A Responses request as a chat-completions body."""
    for name, value in body.items():
        if name in _STATEFUL and value is not None:
            raise RequestError(
                f"'{name}' needs state the router does not keep; send the whole "
                "conversation as 'input' items instead",
                param=name,
            )
        if name not in _PASSED and name not in _IGNORED and name not in _STATEFUL:
            raise RequestError(f"unrecognized request argument supplied: {name}", param=name)
    model = require(body, "model", str)
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise RequestError(
                f"'instructions' must be a string, got {kind(instructions)}",
                param="instructions",
            )
        messages.append({"role": "system", "content": instructions})
    source = body.get("input")
    if isinstance(source, str):
        messages.append({"role": "user", "content": source})
    elif isinstance(source, list):
        for index, item in enumerate(source):
            _item(item, f"input[{index}]", messages)
    else:
        raise RequestError(
            f"'input' must be a string or an array of items, got {kind(source)}", param="input"
        )
    chat: dict[str, Any] = {"model": model, "messages": messages}
    for name, target in _PASSED.items():
        if body.get(name) is not None:
            chat[target] = body[name]
    if body.get("stream") is True:
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    tools = body.get("tools")
    if tools:
        chat["tools"] = [_tool(t, f"tools[{i}]") for i, t in enumerate(_array(tools, "tools"))]
    choice = body.get("tool_choice")
    if choice is not None:
        chat["tool_choice"] = _tool_choice(choice)
    text = body.get("text")
    if isinstance(text, dict) and isinstance(text.get("format"), dict):
        chat["response_format"] = _response_format(text["format"])
    return chat


def _array(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RequestError(f"'{where}' must be an array, got {kind(value)}", param=where)
    return value


def _item(item: Any, where: str, messages: list[dict[str, Any]]) -> None:
    if not isinstance(item, dict):
        raise RequestError(f"'{where}' must be an object, got {kind(item)}", param=where)
    kind_ = item.get("type", "message")
    if kind_ == "message":
        role = item.get("role")
        if role not in ("user", "assistant", "system", "developer"):
            raise RequestError(
                f"'{where}.role' must be one of user, assistant, system, developer, got {role!r}",
                param=f"{where}.role",
            )
        messages.append({"role": role, "content": _content(item.get("content"), where)})
    elif kind_ == "function_call":
        call = {
            "id": require(item, "call_id", str, where),
            "type": "function",
            "function": {
                "name": require(item, "name", str, where),
                "arguments": require(item, "arguments", str, where),
            },
        }
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(call)
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind_ == "function_call_output":
        output = item.get("output")
        messages.append(
            {
                "role": "tool",
                "tool_call_id": require(item, "call_id", str, where),
                "content": output if isinstance(output, str) else message_text(output),
            }
        )
    elif kind_ == "reasoning":
        return  # earlier reasoning is not replayed to the target
    else:
        raise RequestError(
            f"'{where}.type' {kind_!r} is not supported; supported: message, function_call, "
            "function_call_output",
            param=f"{where}.type",
        )


def _content(content: Any, where: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for index, part in enumerate(_array(content, f"{where}.content")):
        at = f"{where}.content[{index}]"
        if not isinstance(part, dict):
            raise RequestError(f"'{at}' must be an object, got {kind(part)}", param=at)
        kind_ = part.get("type")
        if kind_ in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": require(part, "text", str, at)})
        elif kind_ == "input_image" and isinstance(part.get("image_url"), str):
            parts.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
        elif kind_ == "refusal":
            parts.append({"type": "text", "text": str(part.get("refusal", ""))})
        else:
            raise RequestError(
                f"'{at}.type' {kind_!r} is not supported; supported: input_text, output_text, "
                "input_image (image_url)",
                param=f"{at}.type",
            )
    if all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _tool(tool: Any, where: str) -> dict[str, Any]:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise RequestError(
            f"'{where}' must be a function tool; built-in tools (web search, file search, "
            "computer use) run at OpenAI, not through the router",
            param=where,
        )
    function: dict[str, Any] = {
        "name": require(tool, "name", str, where),
        "parameters": tool.get("parameters") or {"type": "object", "properties": {}},
    }
    for name in ("description", "strict"):
        if tool.get(name) is not None:
            function[name] = tool[name]
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return str(choice)
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {
            "type": "function",
            "function": {"name": require(choice, "name", str, "tool_choice")},
        }
    raise RequestError(
        "'tool_choice' must be auto, none, required or {type: function, name}",
        param="tool_choice",
    )


def _response_format(fmt: dict[str, Any]) -> dict[str, Any]:
    if fmt.get("type") == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    return {"type": str(fmt.get("type") or "text")}


# --- answers ------------------------------------------------------------------------------


def _echo(chat: ChatRequest) -> dict[str, Any]:
    """The request's settings that a ``response`` object repeats."""
    body = chat.body
    return {
        "id": "resp_" + secrets.token_hex(16),
        "created_at": int(time.time()),
        "model": chat.model,
        "tools": body.get("tools") or [],
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "max_output_tokens": body.get("max_tokens"),
    }


def _shell(echo: dict[str, Any], status: str) -> dict[str, Any]:
    tools = [
        {"type": "function", **t["function"]} if isinstance(t, dict) and "function" in t else t
        for t in echo["tools"]
    ]
    choice = echo["tool_choice"]
    if isinstance(choice, dict):
        choice = {"type": "function", "name": choice.get("function", {}).get("name")}
    return {
        "id": echo["id"],
        "object": "response",
        "created_at": echo["created_at"],
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": echo["max_output_tokens"],
        "model": echo["model"],
        "output": [],
        "parallel_tool_calls": echo["parallel_tool_calls"],
        "temperature": echo["temperature"],
        "top_p": echo["top_p"],
        "tool_choice": choice,
        "tools": tools,
        "text": {"format": {"type": "text"}},
        "truncation": "disabled",
        "metadata": {},
        "usage": None,
    }


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def _text_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}] if text else [],
    }


def _call_item(item_id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def to_response(completion: dict[str, Any], echo: dict[str, Any]) -> dict[str, Any]:
    """A chat.completion as a completed ``response``."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    output: list[dict[str, Any]] = []
    text = message.get("content")
    if isinstance(text, str) and text:
        output.append(_text_item("msg_" + secrets.token_hex(12), text, "completed"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        output.append(
            _call_item(
                "fc_" + secrets.token_hex(12),
                call.get("id") or "call_" + secrets.token_hex(8),
                function.get("name", ""),
                function.get("arguments") or "",
            )
        )
    usage = completion.get("usage") or {}
    response = _shell(echo, "completed")
    if choice.get("finish_reason") == "length":
        response["status"] = "incomplete"
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    response["output"] = output
    response["usage"] = _usage(
        int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    )
    return response


async def _events(blocks: AsyncIterator[bytes], echo: dict[str, Any]) -> AsyncIterator[bytes]:
    """The chat chunk stream as Responses events, block for block."""
    writer = _StreamWriter(echo)
    created = writer.created()
    reader = ChatBlocks()
    try:
        async for block in blocks:
            out, created = created, b""
            for event in reader.feed(block):
                if event.chunk is not None:
                    out += writer.chunk(event.chunk)
                elif event.error is not None:
                    out += writer.failed(str(event.error.get("message")))
                else:
                    out += writer.completed()
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
        self.usage = _usage(0, 0)
        self.incomplete = False

    def _event(self, kind_: str, data: dict[str, Any]) -> bytes:
        data = {"type": kind_, "sequence_number": self.sequence, **data}
        self.sequence += 1
        return b"event: " + kind_.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _text_delta(self, text: str) -> bytes:
        """The hot event, written from a template: one dumps of the text only."""
        assert self.text_item is not None
        sequence = self.sequence
        self.sequence += 1
        return b"".join(
            (
                b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
                b'"sequence_number":',
                str(sequence).encode(),
                b',"item_id":"',
                self.text_item["id"].encode(),
                b'","output_index":',
                str(len(self.output) - 1).encode(),
                b',"content_index":0,"delta":',
                orjson.dumps(text),
                b',"logprobs":[]}\n\n',
            )
        )

    def created(self) -> bytes:
        shell = _shell(self.echo, "in_progress")
        return self._event("response.created", {"response": shell}) + self._event(
            "response.in_progress", {"response": shell}
        )

    def _open_text(self) -> bytes:
        item = _text_item("msg_" + secrets.token_hex(12), "", "in_progress")
        self.text_item = item
        self.output.append(item)
        index = len(self.output) - 1
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
        item.update(_text_item(item["id"], text, "completed"))
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        return (
            self._event("response.output_text.done", {**where, "text": text})
            + self._event("response.content_part.done", {**where, "part": part})
            + self._event("response.output_item.done", {"output_index": index, "item": item})
        )

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        text = _plain_text(chunk)
        if text is not None and self.text_item is not None:
            self.text.append(text)  # the common event: more text of the open item
            return self._text_delta(text)
        out = b""
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = _usage(
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
            item = _call_item(
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

    def completed(self) -> bytes:
        out = self._close_text() + self._close_calls()
        response = _shell(self.echo, "incomplete" if self.incomplete else "completed")
        if self.incomplete:
            response["incomplete_details"] = {"reason": "max_output_tokens"}
        response["output"] = self.output
        response["usage"] = self.usage
        name = "response.incomplete" if self.incomplete else "response.completed"
        return out + self._event(name, {"response": response})

    def failed(self, message: str) -> bytes:
        response = _shell(self.echo, "failed")
        response["output"] = self.output
        response["error"] = {"code": "server_error", "message": message}
        return self._event("response.failed", {"response": response})


def _plain_text(chunk: dict[str, Any]) -> str | None:
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
