"""``POST /v1/embeddings``: routed by the same rules as chat (the input is what the PII
scan reads, so an embedding of restricted text goes only to a target allowed to see it),
to the route's targets that can embed (``embedding_backends``: OpenAI-compatible, Azure
OpenAI, Bedrock Titan / Cohere, Vertex); a route with none answers a 400 naming the
backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backends import Completion
from ..chat import ChatRequest
from ..pipeline.wire import Endpoint, Request, Response
from .capable import keep_capable_targets, text_inputs
from .embedding_backends import embedder_for
from .parse import check_params, json_object, require

if TYPE_CHECKING:
    from ..core import Gateway

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
    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        embedders = keep_capable_targets(gateway, call, PATH, embedder_for, _SERVED_BY)

        async def send(name: str, body: dict[str, Any]) -> Completion:
            return await embedders[name](body)

        return await gateway.complete(call, send)

    return {PATH: Endpoint("POST", handle)}


_SERVED_BY = "OpenAI-compatible, Azure OpenAI, Bedrock Titan / Cohere embedding and Vertex targets"


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    check_params(body, _PARAMS, nullable=())
    model = require(body, "model", str)
    inputs = text_inputs(body.get("input"), "input")
    return ChatRequest(
        body=body, model=model, stream=False, text="\n".join(inputs), last_user_text=inputs[-1]
    )
