"""``POST /v1/embeddings``: routed by the same rules as chat (the input is what the PII
scan reads, so an embedding of restricted text goes only to a target allowed to see it),
to the route's OpenAI-compatible and Azure OpenAI targets. Bedrock and Vertex embedding
models are not adapted yet: a route with only those answers a 400 naming the backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from router.api.openai_only import keep_openai_targets, text_inputs
from router.api.parse import json_object, require
from router.backends import Completion
from router.chat import ChatRequest
from router.errors import RequestError

if TYPE_CHECKING:
    from router.core import Endpoint, Gateway, Request, Response

__all__ = ["endpoints", "parse"]

PATH = "/v1/embeddings"

_PARAMS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "input": (str, list),
    "encoding_format": (str,),
    "dimensions": (int,),
    "user": (str,),
}


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    from router.core import Endpoint

    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        backends = keep_openai_targets(gateway, call, PATH)

        async def send(name: str, body: dict[str, Any]) -> Completion:
            return await backends[name].send("embeddings", body)

        return await gateway.complete(call, send)

    return {PATH: Endpoint("POST", handle)}


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    for name, value in body.items():
        allowed = _PARAMS.get(name)
        if allowed is None:
            raise RequestError(f"unrecognized request argument supplied: {name}", param=name)
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise RequestError(f"'{name}' has the wrong type", param=name)
    model = require(body, "model", str)
    inputs = text_inputs(body.get("input"), "input")
    return ChatRequest(
        body=body, model=model, stream=False, text="\n".join(inputs), last_user_text=inputs[-1]
    )
