"""``POST /v1/completions``: legacy text completions, for OpenAI-compatible targets (vLLM,
TGI, llama.cpp, Ollama, Azure OpenAI). Admitted like a chat request (the prompt is what
the PII scan reads), routed to the route's OpenAI-protocol targets, relayed as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ..backends import ChatBackend, Completion, Usage
from ..backends.openai_compat import OpenAICompatBackend
from ..chat import ChatRequest
from ..pipeline.wire import Endpoint, Request, Response
from .capable import keep_capable_targets, text_inputs
from .parse import check_params, json_object, require

if TYPE_CHECKING:
    from ..core import Gateway

__all__ = ["endpoints", "parse"]

PATH = "/v1/completions"

_NUMBER = (int, float)
_PARAMS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "prompt": (str, list),
    "suffix": (str,),
    "max_tokens": (int,),
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "n": (int,),
    "stream": (bool,),
    "stream_options": (dict,),
    "logprobs": (int,),
    "echo": (bool,),
    "stop": (str, list),
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "best_of": (int,),
    "logit_bias": (dict,),
    "user": (str,),
    "seed": (int,),
}
_NULLABLE = frozenset(_PARAMS) - {"model", "prompt"}


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        backends = keep_capable_targets(gateway, call, PATH, _openai, _SERVED_BY)

        async def send(name: str, body: dict[str, Any]) -> Completion:
            return await backends[name].send("completions", body)

        def open_stream(name: str, body: dict[str, Any], usage: Usage) -> AsyncIterator[bytes]:
            return backends[name].stream_endpoint(
                "completions", body, usage, call.chat.include_usage
            )

        if call.chat.stream:
            return await gateway.stream(call, open_stream)
        return await gateway.complete(call, send)

    return {PATH: Endpoint("POST", handle)}


_SERVED_BY = "OpenAI-compatible and Azure OpenAI targets"


def _openai(backend: ChatBackend) -> OpenAICompatBackend | None:
    return backend if isinstance(backend, OpenAICompatBackend) else None


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    check_params(body, _PARAMS, _NULLABLE)
    model = require(body, "model", str)
    prompts = text_inputs(body.get("prompt"), "prompt")
    return ChatRequest(
        body=body,
        model=model,
        stream=body.get("stream") is True,
        text="\n".join(prompts),
        last_user_text=prompts[-1],
    )
