"""OpenAI function calling as Converse says it: ``toolConfig`` and ``toolUse`` /
``toolResult`` content blocks.

The request is read once by ``router.tools`` (the same reader the Anthropic and Vertex
backends use, so all three refuse the same things); this module only renders it:

- ``tools[].function`` -> ``toolConfig.tools[].toolSpec`` {``name``, ``description``,
  ``inputSchema.json``}.
- ``tool_choice`` ``auto`` -> no ``toolChoice`` (Converse's default is auto, and models
  that take tools but no ``toolChoice`` still answer); ``required`` -> ``any``; a function
  -> ``tool`` {``name``}; ``none`` -> no ``toolConfig`` at all (Converse has no "none": a
  model that is not shown the tools cannot call them).
- an assistant's ``tool_calls`` -> ``toolUse`` blocks after its text; ``tool`` messages ->
  ``toolResult`` blocks, first in their user turn (consecutive results share one turn).

Refused by name (Converse cannot say it, or Bedrock refuses it): ``parallel_tool_calls:
false`` (no such setting); tool calls or results in ``messages`` without the request's
tools, or with ``tool_choice: none`` (Bedrock requires ``toolConfig`` whenever toolUse or
toolResult blocks are sent); ``tool_choice: required`` without tools.

Standard library only: the Lambda Converse handler ships this module in its zip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..content import ContentError
from ..tools import Choice, FunctionTool, ToolCall, ToolResult
from ..turns import BLANK

__all__ = ["tool_block", "tool_call_of", "tool_config"]


def tool_config(
    tools: Sequence[FunctionTool], choice: Choice | None, history: str | None
) -> dict[str, Any] | None:
    """The request's ``toolConfig`` (None: send none). ``history`` names the first message
    holding a tool call or result (None when there is none)."""
    if choice is not None and not choice.parallel and tools:
        raise ContentError(
            "parallel_tool_calls: false cannot be sent to Bedrock Converse (it has no such "
            "setting); allowed: true or not set"
        )
    if choice is not None and choice.mode == "none":
        if history is not None:
            raise ContentError(
                f"tool_choice: 'none' cannot be sent to Bedrock Converse while {history} "
                "holds tool calls or results (Converse has no 'none' and needs the tools "
                "with them); allowed: auto, required, a function"
            )
        return None
    if not tools:
        if history is not None:
            raise ContentError(
                f"{history}: tool calls and results cannot be sent to Bedrock Converse "
                "without the request's tools (Converse needs toolConfig with them); "
                "allowed: the same request with its tools"
            )
        if choice is not None and choice.mode == "required":
            raise ContentError("tool_choice: 'required' needs at least one tool in tools")
        return None
    config: dict[str, Any] = {"tools": [{"toolSpec": _spec(tool)} for tool in tools]}
    if choice is not None and choice.mode == "required":
        config["toolChoice"] = {"any": {}}
    elif choice is not None and choice.mode == "function":
        config["toolChoice"] = {"tool": {"name": choice.name}}
    return config


def tool_block(piece: ToolCall | ToolResult) -> dict[str, Any]:
    """A ``toolUse`` or ``toolResult`` content block."""
    if isinstance(piece, ToolCall):
        use = {"toolUseId": piece.id, "name": piece.name, "input": piece.arguments}
        return {"toolUse": use}
    # An empty result is one blank text, as an empty message is (turns.BLANK).
    content = [{"text": piece.content or BLANK}]
    return {"toolResult": {"toolUseId": piece.call_id, "content": content}}


def tool_call_of(use: dict[str, Any]) -> dict[str, Any]:
    """An answer's ``toolUse`` block as an OpenAI ``tool_calls`` entry."""
    arguments = json.dumps(use.get("input") or {}, ensure_ascii=False, separators=(",", ":"))
    function = {"name": use.get("name", ""), "arguments": arguments}
    return {"id": use.get("toolUseId", ""), "type": "function", "function": function}


def _spec(tool: FunctionTool) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": tool.name, "inputSchema": {"json": tool.parameters}}
    if tool.description:  # Converse refuses an empty description (min length 1)
        spec["description"] = tool.description
    return spec
