"""The chat-completions request as the router sees it: parsed, validated at the edge.

``parse_chat_request`` turns a raw body into a ``ChatRequest`` or raises ``RequestError``
naming the field, the bad value and what is allowed. Validation is hand-written over the
orjson-parsed dict (a pydantic model per request would cost more than the whole routing
decision); fields the router does not interpret are checked for type and passed upstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from .api.parse import check_params, json_object, kind
from .errors import RequestError
from .turns import ROLES, message_text

__all__ = ["ChatRequest", "chat_request", "message_text", "parse_chat_request"]


# OpenAI chat-completions parameters and the JSON types each accepts.
_NUMBER = (int, float)
_PARAMS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "messages": (list,),
    "stream": (bool,),
    "stream_options": (dict,),
    "max_tokens": (int,),
    "max_completion_tokens": (int,),
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "n": (int,),
    "stop": (str, list),
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "logit_bias": (dict,),
    "logprobs": (bool,),
    "top_logprobs": (int,),
    "user": (str,),
    "seed": (int,),
    "tools": (list,),
    "tool_choice": (str, dict),
    "parallel_tool_calls": (bool,),
    "response_format": (dict,),
    "metadata": (dict,),
    "store": (bool,),
    "service_tier": (str,),
    "modalities": (list,),
    "reasoning_effort": (str,),
    "prediction": (dict,),
    "audio": (dict,),
    "web_search_options": (dict,),
    "verbosity": (str,),
    "safety_identifier": (str,),
    "prompt_cache_key": (str,),
    "functions": (list,),
    "function_call": (str, dict),
}
_NULLABLE = frozenset(_PARAMS) - {"model", "messages"}

_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
    "n": (1, 128),
    "max_tokens": (1, 10_000_000),
    "max_completion_tokens": (1, 10_000_000),
    "top_logprobs": (0, 20),
}


@dataclass(slots=True)
class ChatRequest:
    """A validated request. ``body`` is the parsed JSON, forwarded upstream after the
    router sets ``model`` and caps ``max_tokens``."""

    body: dict[str, Any]
    model: str
    stream: bool
    text: str
    """All message text joined: what the tier heuristic and the size estimate read."""
    last_user_text: str
    source: dict[str, Any] | None = None
    """The body as the client sent it when another API was translated into this chat
    request (Anthropic Messages, Responses); None: ``body`` is the client's own. The PII
    scan reads every string of it (``client_view``)."""

    def capped_body(self, cap: int | None) -> dict[str, Any]:
        """``body`` with its answer length capped at ``cap`` (None: as requested)."""
        requested = self.max_tokens
        if cap is None or (requested is not None and requested <= cap):
            return self.body
        name = "max_completion_tokens" if "max_completion_tokens" in self.body else "max_tokens"
        return {**self.body, name: cap}

    def client_view(self) -> str:
        """Every string, key and number the client sent, as one text: what the PII scan
        reads (tool-call arguments, ``user``, ``metadata`` included, not only messages)."""
        return orjson.dumps(self.source if self.source is not None else self.body).decode()

    @property
    def max_tokens(self) -> int | None:
        value = self.body.get("max_completion_tokens", self.body.get("max_tokens"))
        return value if isinstance(value, int) else None

    @property
    def include_usage(self) -> bool:
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True


def parse_chat_request(raw: bytes) -> ChatRequest:
    return chat_request(json_object(raw))


def chat_request(body: dict[str, Any]) -> ChatRequest:
    """Validate a parsed chat body (from JSON, or translated from another API)."""
    _check_params(body)
    if "model" not in body:
        raise RequestError("'model' is required", param="model")
    if "messages" not in body:
        raise RequestError("'messages' is required", param="messages")
    texts, last_user = _check_messages(body["messages"])
    return ChatRequest(
        body=body,
        model=body["model"],
        stream=body.get("stream") is True,
        text="\n".join(texts),
        last_user_text=last_user,
    )


def _check_params(body: dict[str, Any]) -> None:
    check_params(body, _PARAMS, _NULLABLE)
    for name, (low, high) in _RANGES.items():
        value = body.get(name)
        if isinstance(value, int | float) and not (low <= value <= high):
            raise RequestError(
                f"'{name}' must be between {low} and {high}, got {value!r}", param=name
            )


def _check_messages(messages: list[Any]) -> tuple[list[str], str]:
    if not messages:
        raise RequestError("'messages' must contain at least one message", param="messages")
    texts: list[str] = []
    last_user = ""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            where = f"messages[{index}]"
            raise RequestError(f"'{where}' must be an object, got {kind(message)}", param=where)
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            where, allowed = f"messages[{index}]", ", ".join(sorted(ROLES))
            raise RequestError(
                f"'{where}.role' must be one of {allowed}, got {role!r}", param=f"{where}.role"
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            where = f"messages[{index}]"
            raise RequestError(
                f"'{where}.content' must be a string, an array of parts or null, "
                f"got {kind(content)}",
                param=f"{where}.content",
            )
        text = message_text(content)
        texts.append(text)
        if role == "user":
            last_user = text
    return texts, last_user
