"""A Converse answer as an OpenAI ``chat.completion``."""

from __future__ import annotations

from typing import Any

from ..openai_shapes import completion_dict
from .tools import tool_call_of

__all__ = ["FINISH_REASONS", "finish_reason", "to_completion", "usage_of"]

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "malformed_tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
"""Converse ``stopReason`` -> OpenAI ``finish_reason``; any other reason is ``stop``."""


def finish_reason(stop_reason: object) -> str:
    return FINISH_REASONS.get(stop_reason if isinstance(stop_reason, str) else "", "stop")


def usage_of(found: Any) -> tuple[int, int]:
    """``(prompt, completion)`` tokens of a Converse ``usage`` block."""
    if not isinstance(found, dict):
        return 0, 0
    return int(found.get("inputTokens", 0)), int(found.get("outputTokens", 0))


def to_completion(
    answer: dict[str, Any], model: str, completion_id: str | None = None
) -> dict[str, Any]:
    """The OpenAI completion for ``answer``: its text blocks joined, its ``toolUse``
    blocks as ``tool_calls`` (content null when there is no text, as OpenAI answers);
    reasoning blocks are not part of OpenAI's chat answer and are left out."""
    found = answer.get("output", {}).get("message", {}).get("content", [])
    blocks = [block for block in found if isinstance(block, dict)]
    text = "".join(block.get("text", "") for block in blocks)
    prompt, completion = usage_of(answer.get("usage"))
    out = completion_dict(
        model,
        text,
        finish_reason(answer.get("stopReason")),
        prompt,
        completion,
        completion_id=completion_id,
    )
    calls = [tool_call_of(block["toolUse"]) for block in blocks if "toolUse" in block]
    if calls:
        message = out["choices"][0]["message"]
        message["tool_calls"] = calls
        message["content"] = text or None
    return out
