"""The Messages request as a chat-completions body: system, text, images, tool use and
tool results, tools and tool choice; an unknown parameter is refused by name."""

from __future__ import annotations

from typing import Any

import orjson

from ...errors import RequestError
from ..parse import kind, require, text_only

__all__ = ["to_chat"]

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
        messages.append({"role": "system", "content": text_only(system, "system", ("text",))})
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
                    "content": text_only(block.get("content") or "", f"{at}.content", ("text",)),
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
