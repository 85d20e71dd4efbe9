"""``POST /v1/messages``: Anthropic's Messages API on the router's routes and keys.

The Messages body is translated to a chat body (system, text, images, tool use and tool
results, tools and tool choice), admitted and routed exactly like a chat completion
(``x-api-key`` or ``Authorization: Bearer``), and the chat answer is translated back: a
``message`` object, or Anthropic's SSE events (``message_start``, ``content_block_start`` /
``_delta`` / ``_stop``, ``message_delta``, ``message_stop``). Errors have Anthropic's
shape ``{"type": "error", "error": {"type", "message"}}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from ...chat import ChatRequest, chat_request
from ...errors import RouterError
from ...pipeline.wire import Endpoint, Request, Response, error_response
from ..parse import json_object
from .answer import to_message
from .request import to_chat
from .stream import events

if TYPE_CHECKING:
    from ...core import Gateway

__all__ = ["endpoints", "to_chat"]

PATH = "/v1/messages"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        model = call.chat.model
        response = await gateway.answer(call)
        if response.stream is not None:
            response.stream = events(response.stream, model, call.chat.include_usage)
        elif response.status == 200:
            response.body = orjson.dumps(to_message(orjson.loads(response.body), model))
        return response

    return {PATH: Endpoint("POST", handle, render_error)}


def render_error(exc: RouterError) -> Response:

    response = error_response(exc)
    error_type = _ERROR_TYPES.get(exc.status, "api_error")
    response.body = orjson.dumps(
        {"type": "error", "error": {"type": error_type, "message": exc.message}}
    )
    return response


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    chat = chat_request(to_chat(body))
    chat.source = body  # the PII scan reads what the client sent, not the translation
    return chat
