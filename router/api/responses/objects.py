"""The ``response`` object: what it repeats from the request, its output items and usage,
and a chat completion translated to it."""

from __future__ import annotations

import secrets
import time
from typing import Any

from ...chat import ChatRequest

__all__ = [
    "call_item",
    "request_echo",
    "response_shell",
    "text_item",
    "to_response",
    "usage_object",
]


def request_echo(chat: ChatRequest) -> dict[str, Any]:
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


def response_shell(echo: dict[str, Any], status: str) -> dict[str, Any]:
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


def usage_object(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def text_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}] if text else [],
    }


def call_item(item_id: str, call_id: str, name: str, arguments: str) -> dict[str, Any]:
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
        output.append(text_item("msg_" + secrets.token_hex(12), text, "completed"))
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        output.append(
            call_item(
                "fc_" + secrets.token_hex(12),
                call.get("id") or "call_" + secrets.token_hex(8),
                function.get("name", ""),
                function.get("arguments") or "",
            )
        )
    usage = completion.get("usage") or {}
    response = response_shell(echo, "completed")
    if choice.get("finish_reason") == "length":
        response["status"] = "incomplete"
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    response["output"] = output
    response["usage"] = usage_object(
        int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    )
    return response
