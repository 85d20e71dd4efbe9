"""The Responses request as a chat-completions body: ``input`` items, ``instructions``,
function tools, ``tool_choice``, ``text.format``; state kept by OpenAI is refused by name."""

from __future__ import annotations

from typing import Any

from ...errors import RequestError
from ..parse import kind, require, text_only

__all__ = ["to_chat"]

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
        output = item.get("output") or ""
        messages.append(
            {
                "role": "tool",
                "tool_call_id": require(item, "call_id", str, where),
                "content": text_only(output, f"{where}.output", ("input_text", "output_text")),
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
            image = {"url": part["image_url"]}
            if isinstance(part.get("detail"), str):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
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
