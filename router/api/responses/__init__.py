"""``POST /v1/responses``: OpenAI's Responses API, the stateless subset, on the chat path.

``input`` (a string or items: messages, ``function_call`` and ``function_call_output``),
``instructions`` (a system message), function ``tools`` and ``tool_choice`` are translated
to a chat body, admitted and routed like a chat completion, and the answer comes back as
a ``response`` object, or with ``stream: true`` as the Responses events
(``response.created``, ``response.output_item.added``, ``response.output_text.delta``, ...,
``response.completed``). State kept by OpenAI (``previous_response_id``, ``conversation``,
``store: true`` retrieval) is refused by name: the router keeps no conversations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from ...chat import ChatRequest, chat_request
from ...pipeline.wire import Endpoint, Request, Response
from ..parse import json_object
from .objects import request_echo, to_response
from .request import to_chat
from .stream import events

if TYPE_CHECKING:
    from ...core import Gateway

__all__ = ["endpoints", "to_chat"]

PATH = "/v1/responses"


def endpoints(gateway: Gateway) -> dict[str, Endpoint]:
    async def handle(request: Request, request_id: str) -> Response:
        call = await gateway.admit(request, request_id, parse)
        echo = request_echo(call.chat)
        response = await gateway.answer(call)
        if response.stream is not None:
            response.stream = events(response.stream, echo)
        elif response.status == 200:
            response.body = orjson.dumps(to_response(orjson.loads(response.body), echo))
        return response

    return {PATH: Endpoint("POST", handle)}


def parse(raw: bytes) -> ChatRequest:
    body = json_object(raw)
    chat = chat_request(to_chat(body))
    chat.source = body  # the PII scan reads what the client sent, not the translation
    return chat
