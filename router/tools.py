"""OpenAI function calling as the turn-based backends read it: the request's ``tools`` and
``tool_choice``, an assistant message's ``tool_calls`` and the ``tool`` messages that
answer them, read once here so Anthropic's Messages, Gemini and Bedrock's Converse
(``converse.tools``) render the same things and refuse the same things (never a silent
drop: a model that never sees its tools, or its own earlier calls, answers as if they did
not exist).

What is refused, by name: a tool other than ``type: function``; the legacy ``functions``
/ ``function_call`` parameters and ``function`` messages; a call whose ``arguments`` are
not a JSON object; a ``tool`` message whose ``tool_call_id`` no earlier call has; a tool
result that is not text.

Standard library only: the Lambda Converse handler ships this module in its zip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .content import ContentError, Segment
from .turns import Conversation, fold, message_segments, message_text

__all__ = [
    "Choice",
    "FunctionTool",
    "ToolCall",
    "ToolPiece",
    "ToolResult",
    "fold_with_tools",
    "read_choice",
    "read_tools",
]


@dataclass(frozen=True, slots=True)
class FunctionTool:
    """One function the model may call."""

    name: str
    description: str | None
    parameters: dict[str, Any]
    """A JSON Schema object (``{"type": "object", "properties": {}}`` when not given)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """``tool_choice``: ``auto``, ``none``, ``required`` (some tool), or ``name``'s."""

    mode: Literal["auto", "none", "required", "function"]
    name: str | None = None
    parallel: bool = True
    """``parallel_tool_calls``: False asks for at most one call."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call an assistant message made."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A ``tool`` message: the answer to call ``call_id`` (of function ``name``)."""

    call_id: str
    name: str
    content: str


ToolPiece = Segment | ToolCall | ToolResult
_LEGACY = ("functions", "function_call")


def read_tools(body: dict[str, Any]) -> list[FunctionTool]:
    """The request's function tools; ``ContentError`` for what cannot be sent."""
    for name in _LEGACY:
        if body.get(name) is not None:
            raise ContentError(
                f"{name!r}: legacy function calling cannot be sent to this target; "
                "allowed: tools, tool_choice"
            )
    found: list[FunctionTool] = []
    for index, tool in enumerate(body.get("tools") or ()):
        where = f"tools[{index}]"
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function":
            kind = tool.get("type") if isinstance(tool, dict) else type(tool).__name__
            raise ContentError(
                f"{where}: a {kind!r} tool cannot be sent to this target; allowed: function"
            )
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ContentError(f"{where}.function: must be an object with a name string")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        if not isinstance(parameters, dict):
            raise ContentError(f"{where}.function.parameters: must be a JSON Schema object")
        description = function.get("description")
        found.append(
            FunctionTool(
                function["name"],
                description if isinstance(description, str) else None,
                parameters,
            )
        )
    return found


def read_choice(body: dict[str, Any], tools: Sequence[FunctionTool]) -> Choice | None:
    """``tool_choice`` (None when not set and there are no tools)."""
    choice = body.get("tool_choice")
    parallel = body.get("parallel_tool_calls") is not False
    if choice is None:
        return Choice("auto", parallel=parallel) if tools else None
    if choice in ("auto", "none", "required"):
        return Choice(choice, parallel=parallel)
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or choice.get("type") != "function":
        raise ContentError(
            f"tool_choice: {choice!r} cannot be sent; allowed: auto, none, required, "
            '{"type": "function", "function": {"name": ...}}'
        )
    if name not in {tool.name for tool in tools}:
        raise ContentError(f"tool_choice: {name!r} is not one of the request's tools")
    return Choice("function", name, parallel)


def fold_with_tools(messages: Sequence[Any]) -> Conversation[ToolPiece]:
    """``turns.fold`` with an assistant's ``tool_calls`` as ``ToolCall`` pieces after its
    text, and each ``tool`` message as a ``ToolResult`` (user side)."""
    names: dict[str, str] = {}

    def read(message: Any, index: int) -> list[ToolPiece]:
        role = message["role"]
        if role == "function":
            raise ContentError(
                f"messages[{index}]: a 'function' message (legacy function calling) cannot "
                "be sent to this target; allowed: tool messages answering tool_calls"
            )
        if role == "tool":
            return [_result(message, index, names)]
        calls = message.get("tool_calls") if role == "assistant" else None
        if not calls:
            return list(message_segments(message, index))
        pieces: list[ToolPiece] = []
        if message.get("content"):
            pieces += message_segments(message, index)
        for number, call in enumerate(calls):
            read_call = _call(call, f"messages[{index}].tool_calls[{number}]")
            names[read_call.id] = read_call.name
            pieces.append(read_call)
        return pieces

    return fold(messages, read)


def _call(call: Any, where: str) -> ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(call, dict) or call.get("type", "function") != "function":
        raise ContentError(f"{where}: only function tool calls can be sent to this target")
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ContentError(f"{where}.function: must be an object with a name string")
    if not isinstance(call.get("id"), str):
        raise ContentError(f"{where}.id: must be a string")
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except (TypeError, ValueError) as exc:
        raise ContentError(f"{where}.function.arguments: not JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise ContentError(f"{where}.function.arguments: must be a JSON object")
    return ToolCall(call["id"], function["name"], arguments)


def _result(message: Any, index: int, names: dict[str, str]) -> ToolResult:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or call_id not in names:
        raise ContentError(
            f"messages[{index}].tool_call_id: {call_id!r} answers no earlier tool call"
        )
    content = message.get("content")
    if isinstance(content, list) and any(
        not (isinstance(p, dict) and p.get("type", "text") == "text") for p in content
    ):
        raise ContentError(f"messages[{index}].content: a tool result may hold text only")
    if content is not None and not isinstance(content, str | list):
        raise ContentError(f"messages[{index}].content: must be a string or text parts")
    return ToolResult(call_id, names[call_id], message_text(content))
