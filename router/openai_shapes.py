"""OpenAI's chat response bodies as plain dicts: ``chat.completion``, its streamed
``chat.completion.chunk`` and the usage block.

The one home of these shapes: ``router.sse`` encodes them for the gateway, and the Lambda
Converse handler (which ships this module in its zip, beside ``router.converse``) encodes
them with ``json``. Standard library only for that reason.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["chunk_dict", "completion_dict", "new_completion_id", "usage_dict"]


def new_completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def usage_dict(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def chunk_dict(
    completion_id: str,
    model: str,
    created: int,
    delta: dict[str, Any],
    *,
    finish_reason: str | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """One stream chunk: a delta with its finish reason, or (``usage`` given) the usage
    chunk, whose ``choices`` is empty."""
    chunk: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": []
        if usage is not None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def completion_dict(
    model: str,
    text: str,
    finish_reason: str,
    prompt: int,
    completion: int,
    *,
    completion_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": completion_id or new_completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage_dict(prompt, completion),
    }
