"""``POST /v1/messages``: Anthropic's Messages API on the router's routes and keys.

The Messages body is translated to a chat body (system, text, images, tool use and tool
results, tools and tool choice), admitted and routed exactly like a chat completion
(``x-api-key`` or ``Authorization: Bearer``), and the chat answer is translated back: a
``message`` object, or Anthropic's SSE events (``message_start``, ``content_block_start`` /
``_delta`` / ``_stop``, ``message_delta``, ``message_stop``). Errors have Anthropic's
shape ``{"type": "error", "error": {"type", "message"}}``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from router.api.chunks import ChatBlocks
from router.api.parse import json_object, kind, require
from router.chat import ChatRequest, chat_request, message_text
from router.errors import RequestError, RouterError

if TYPE_CHECKING:
    from router.core import Endpoint, Gateway, Request, Response

__all__ = ["endpoints", "to_chat"]

PATH = "/v1/messages"

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
# Messages parameters the translation understands; anything else is refused by name.
_PARAMS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "stream",
        "stop_sequences",
        "temperature",
        "top_p",
        "top_k",
        "metadata",
        "tools",
        "tool_choice",
        "service_tier",
        "thinking",
    }
)


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    from router.core import Endpoint

    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        model = call.chat.model
        response = await gateway.answer(call)
        if response.stream is not None:
            response.stream = _events(response.stream, model, call.chat.include_usage)
        elif response.status == 200:
            response.body = orjson.dumps(to_message(orjson.loads(response.body), model))
        return response

    return {PATH: Endpoint("POST", handle, render_error)}


def render_error(exc: RouterError) -> Response:
    from router.core import error_response

    response = error_response(exc)
    error_type = _ERROR_TYPES.get(exc.status, "api_error")
    response.body = orjson.dumps(
        {"type": "error", "error": {"type": error_type, "message": exc.message}}
    )
    return response


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    chat = chat_request(to_chat(body))
    chat.source = body  # the PII scan reads what the client sent, not the translation
    return chat


def to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """A Messages request as a chat-completions body."""
    for name in body:
        if name not in _PARAMS:
            raise RequestError(f"{name}: Extra inputs are not permitted", param=name)
    model = require(body, "model", str)
    max_tokens = require(body, "max_tokens", int)
    raw_messages = require(body, "messages", list)
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system is not None:
        if not isinstance(system, str | list):
            raise RequestError(
                f"'system' must be a string or an array of text blocks, got {kind(system)}",
                param="system",
            )
        messages.append({"role": "system", "content": message_text(system)})
    for index, message in enumerate(raw_messages):
        messages.extend(_message(message, f"messages[{index}]"))
    chat: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
    }
    if body.get("stream") is True:
        # The message_delta event reports output tokens: always ask the target for usage.
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    for source, target in (("temperature", "temperature"), ("top_p", "top_p")):
        if body.get(source) is not None:
            chat[target] = body[source]
    stops = body.get("stop_sequences")
    if stops is not None:
        chat["stop"] = stops
    metadata = body.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        chat["user"] = metadata["user_id"]
    tools = body.get("tools")
    if tools is not None:
        chat["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(_list(tools, "tools"))]
    choice = body.get("tool_choice")
    if choice is not None:
        chat["tool_choice"] = _tool_choice(choice)
    return chat


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RequestError(f"'{where}' must be an array, got {kind(value)}", param=where)
    return value


def _message(message: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(message, dict):
        raise RequestError(f"'{where}' must be an object, got {kind(message)}", param=where)
    role = message.get("role")
    if role not in ("user", "assistant"):
        raise RequestError(
            f"'{where}.role' must be one of user, assistant, got {role!r}", param=f"{where}.role"
        )
    content = message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    blocks = _list(content, f"{where}.content")
    parts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for index, block in enumerate(blocks):
        at = f"{where}.content[{index}]"
        if not isinstance(block, dict):
            raise RequestError(f"'{at}' must be an object, got {kind(block)}", param=at)
        kind_ = block.get("type")
        if kind_ == "text":
            parts.append({"type": "text", "text": require(block, "text", str, at)})
        elif kind_ == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block, at)}})
        elif kind_ == "tool_use" and role == "assistant":
            calls.append(
                {
                    "id": require(block, "id", str, at),
                    "type": "function",
                    "function": {
                        "name": require(block, "name", str, at),
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
        elif kind_ == "tool_result" and role == "user":
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": require(block, "tool_use_id", str, at),
                    "content": message_text(block.get("content")),
                }
            )
        elif kind_ in ("thinking", "redacted_thinking"):
            continue  # the target thinks afresh; earlier thinking is not replayed
        else:
            raise RequestError(
                f"'{at}.type' {kind_!r} is not supported here; supported: text, image, "
                "tool_use (assistant), tool_result (user)",
                param=f"{at}.type",
            )
    out: list[dict[str, Any]] = list(results)
    if parts or calls or not results:
        entry: dict[str, Any] = {"role": role, "content": parts if parts else None}
        if all(p["type"] == "text" for p in parts):
            entry["content"] = "\n".join(p["text"] for p in parts) if parts else None
        if calls:
            entry["tool_calls"] = calls
        if entry["content"] is None and not calls:
            entry["content"] = ""
        out.append(entry)
    return out


def _image_url(block: dict[str, Any], at: str) -> str:
    source = block.get("source")
    if isinstance(source, dict):
        if source.get("type") == "base64":
            media = require(source, "media_type", str, f"{at}.source")
            return f"data:{media};base64,{require(source, 'data', str, f'{at}.source')}"
        if source.get("type") == "url":
            return require(source, "url", str, f"{at}.source")
    raise RequestError(f"'{at}.source' must be a base64 or url image source", param=f"{at}.source")


def _tool(tool: Any, where: str) -> dict[str, Any]:
    if not isinstance(tool, dict):
        raise RequestError(f"'{where}' must be an object, got {kind(tool)}", param=where)
    function: dict[str, Any] = {
        "name": require(tool, "name", str, where),
        "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
    }
    if isinstance(tool.get("description"), str):
        function["description"] = tool["description"]
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> str | dict[str, Any]:
    if isinstance(choice, dict):
        kind_ = choice.get("type")
        if kind_ in ("auto", "none"):
            return str(kind_)
        if kind_ == "any":
            return "required"
        if kind_ == "tool" and isinstance(choice.get("name"), str):
            return {"type": "function", "function": {"name": choice["name"]}}
    raise RequestError(
        "'tool_choice' must be {type: auto | any | none} or {type: tool, name}",
        param="tool_choice",
    )


# --- answers ------------------------------------------------------------------------------


def _message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def to_message(completion: dict[str, Any], model: str) -> dict[str, Any]:
    """A chat.completion as an Anthropic ``message``."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[dict[str, Any]] = []
    text = message.get("content")
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "toolu_" + secrets.token_hex(8),
                "name": function.get("name", ""),
                "input": _arguments(function.get("arguments")),
            }
        )
    usage = completion.get("usage") or {}
    return {
        "id": _message_id(),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
        "stop_sequence": None,
        "usage": {
            "input_tokens": int(usage.get("prompt_tokens") or 0),
            "output_tokens": int(usage.get("completion_tokens") or 0),
        },
    }


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return orjson.loads(raw or "{}")
        except orjson.JSONDecodeError:
            return {"arguments": raw}
    return raw if isinstance(raw, dict) else {}


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


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def _events(
    blocks: AsyncIterator[bytes], model: str, include_usage: bool
) -> AsyncIterator[bytes]:
    """The chat chunk stream as Anthropic's message events, block for block."""
    del include_usage
    writer = _StreamWriter(model)
    reader = ChatBlocks()
    try:
        async for block in blocks:
            out = b""
            for event in reader.feed(block):
                if event.chunk is not None:
                    out += writer.chunk(event.chunk)
                elif event.error is not None:
                    message = str(event.error.get("message"))
                    out += _event(
                        "error",
                        {"type": "error", "error": {"type": "api_error", "message": message}},
                    )
                else:
                    out += writer.finish()
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

    def _start(self) -> bytes:
        self.started = True
        return _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": _message_id(),
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
        start = {"type": "content_block_start", "index": self.block, "content_block": block}
        return out + _event("content_block_start", start)

    def _text_delta(self, text: str) -> bytes:
        """The hot event, written from a template: one dumps of the text only."""
        return b"".join(
            (
                b'event: content_block_delta\ndata: {"type":"content_block_delta","index":',
                str(self.block).encode(),
                b',"delta":{"type":"text_delta","text":',
                orjson.dumps(text),
                b"}}\n\n",
            )
        )

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return _event(
            "content_block_delta",
            {"type": "content_block_delta", "index": self.block, "delta": delta},
        )

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        text = _plain_text(chunk)
        if text is not None and self.open == "text":
            return self._text_delta(text)  # the common event: more text of the open block
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
                self.stop_reason = _STOP_REASONS.get(finish, "end_turn")
        return out

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
