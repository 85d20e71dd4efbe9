"""Will a target's context window take the request? Checked before each attempt.

A target's ``context_window`` (tokens, prompt and answer together) is rendered from the
spec: the engine's ``serving.context_length`` for self-hosted models, a dated table of
published windows for managed ones (``inferplane.catalog.context_windows``). The request's
size is estimated without a tokenizer: ``ceil(chars / 4)`` over the text the model reads
(every message's text, tool definitions as JSON) plus 4 tokens per message for the chat
template, plus the answer's ``max_tokens`` after the route's cap. Four characters a token
is the usual figure for English with BPE tokenizers; code and other scripts take more
tokens, so the estimate errs towards trying a target that then answers 400 (no fallback
after that) rather than skipping one that could have answered: it catches the requests
that are clearly too big, the fallback-to-a-smaller-model case.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from router.chat import ChatRequest
from router.config import TargetConfig

__all__ = ["CHARS_PER_TOKEN", "PromptSize", "WindowCheck", "estimate", "window_refusal"]

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4
"""Tokens a chat template adds per message (role markers, separators)."""


@dataclass(frozen=True, slots=True)
class PromptSize:
    prompt_tokens: int
    """Estimated prompt tokens."""
    max_tokens: int
    """Answer tokens requested (0 when the request leaves it to the target)."""

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.max_tokens


def estimate(chat: ChatRequest, max_tokens: int | None) -> PromptSize:
    chars = len(chat.text)
    messages = chat.body.get("messages")
    count = len(messages) if isinstance(messages, list) else 1
    tools = chat.body.get("tools")
    if tools:
        chars += len(orjson.dumps(tools))
    prompt = -(-chars // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD * count
    return PromptSize(prompt, max_tokens or 0)


def window_refusal(name: str, target: TargetConfig, size: PromptSize) -> str | None:
    """Why ``target`` cannot take a request of ``size``, or None when it can (or its
    window is unknown)."""
    window = target.context_window
    if window is None or size.total <= window:
        return None
    return (
        f"{name}: context window {window} tokens < ~{size.prompt_tokens} prompt + "
        f"{size.max_tokens} max_tokens"
    )


class WindowCheck:
    """The check of one RouterConfig: free when no target has a known window, and for
    requests that are not chat-shaped (embeddings, legacy completions)."""

    def __init__(self, targets: dict[str, TargetConfig]) -> None:
        self._targets = targets
        self._active = any(t.context_window is not None for t in targets.values())

    def size(self, chat: ChatRequest, body: dict[str, object]) -> PromptSize | None:
        """The request's estimated size (``body``: as sent, after the max_tokens cap)."""
        if not self._active or "messages" not in body:
            return None
        requested = body.get("max_completion_tokens", body.get("max_tokens"))
        return estimate(chat, requested if isinstance(requested, int) else None)

    def refusal(self, name: str, size: PromptSize | None) -> str | None:
        return None if size is None else window_refusal(name, self._targets[name], size)
