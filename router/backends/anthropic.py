"""Anthropic's Messages API (``POST {url}/v1/messages``), mapped to and from OpenAI's shape.

``target.url`` defaults to ``https://api.anthropic.com``; an ``api_key`` auth sends the key
in ``x-api-key`` (unless ``auth.header`` names another); ``target.api_version`` sets the
``anthropic-version`` header.

Images (``router.content``) become ``image`` blocks: a base64 ``data:`` URL as a ``base64``
source, an ``http(s)`` URL as a ``url`` source Anthropic fetches; a turn without images
stays one string, as before.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..content import ContentError, ImageUrl, Segment, media_types, refusal
from ..errors import UpstreamProtocolError, UpstreamStatusError
from ..sse import DONE, SseParser, chunk_event, completion_body, new_completion_id, usage_dict
from ..turns import Turn, fold_messages
from .base import BackendContext, ChatBackend, Completion, Usage
from .http import client_timeout, parse_json

__all__ = ["IMAGE_TYPES", "AnthropicBackend", "to_messages"]

DEFAULT_URL = "https://api.anthropic.com"
DEFAULT_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024  # required by the Messages API; OpenAI's is optional
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
IMAGE_TYPES = media_types("jpeg", "png", "gif", "webp")
"""The ``media_type`` values a base64 image source takes (Messages API reference)."""


class AnthropicBackend(ChatBackend):
    kind = "anthropic"
    bounds_total = True  # client_timeout: aiohttp gives up after timeouts.total
    key_header = "x-api-key"

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        super().__init__(name, target, context)
        self.url = (target.url or DEFAULT_URL).rstrip("/") + "/v1/messages"
        self.headers = {
            "content-type": "application/json",
            "anthropic-version": target.api_version or DEFAULT_VERSION,
        }
        self.timeout = client_timeout(target)

    async def complete(self, body: dict[str, Any]) -> Completion:
        data = orjson.dumps(self._request(body, stream=False))
        async with self.post(self.url, data, self.headers, self.timeout) as resp:
            answer = parse_json(await resp.read(), self.name)
        text = "".join(
            b.get("text", "") for b in answer.get("content", []) if b.get("type") == "text"
        )
        found = answer.get("usage", {})
        usage = Usage(int(found.get("input_tokens", 0)), int(found.get("output_tokens", 0)))
        finish = FINISH_REASONS.get(answer.get("stop_reason") or "end_turn", "stop")
        body_out = completion_body(
            self.target.model, text, finish, usage.prompt_tokens, usage.completion_tokens
        )
        return Completion(body_out, usage)

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        data = orjson.dumps(self._request(body, stream=True))
        ids = (new_completion_id(), self.target.model, int(time.time()))
        parser = SseParser()
        async with self.post(self.url, data, self.headers, self.timeout) as resp:
            async for raw in resp.content.iter_any():
                for name, payload in parser.feed(raw):
                    event = orjson.loads(payload)
                    kind = name or event.get("type")
                    if kind == "message_start":
                        found = event.get("message", {}).get("usage", {})
                        usage.prompt_tokens = int(found.get("input_tokens", 0))
                        yield chunk_event(*ids, {"role": "assistant", "content": ""})
                    elif kind == "content_block_delta":
                        text = event.get("delta", {}).get("text")
                        if text:
                            yield chunk_event(*ids, {"content": text})
                    elif kind == "message_delta":
                        usage.completion_tokens = int(
                            event.get("usage", {}).get("output_tokens", 0)
                        )
                        reason = event.get("delta", {}).get("stop_reason") or "end_turn"
                        yield chunk_event(
                            *ids, {}, finish_reason=FINISH_REASONS.get(reason, "stop")
                        )
                    elif kind == "message_stop":
                        if include_usage:
                            counts = usage_dict(usage.prompt_tokens, usage.completion_tokens)
                            yield chunk_event(*ids, {}, usage=counts)
                        yield DONE
                        await resp.content.read()  # to the end, so the connection is pooled
                        return
                    elif kind == "error":
                        error = event.get("error", {})
                        raise UpstreamStatusError(
                            f"target {self.name!r} failed mid-stream: {error.get('message')}",
                            target=self.name,
                            upstream_status=529 if error.get("type") == "overloaded_error" else 502,
                        )
        raise UpstreamProtocolError(f"target {self.name!r} ended the stream before message_stop")

    def _request(self, body: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        try:
            return to_messages(body, self.target.model, stream=stream)
        except ContentError as exc:
            raise self.refused(exc) from exc


def to_messages(body: dict[str, Any], model: str, *, stream: bool) -> dict[str, Any]:
    """The Messages request for the OpenAI chat ``body``; raises ``ContentError`` for a
    part Anthropic cannot take."""
    folded = fold_messages(body["messages"])
    messages = [{"role": t.role, "content": _content(t)} for t in folded.turns]
    request: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": body.get("max_completion_tokens")
        or body.get("max_tokens")
        or DEFAULT_MAX_TOKENS,
        "stream": stream,
    }
    if folded.system:
        request["system"] = "\n\n".join(folded.system)
    if body.get("temperature") is not None:
        request["temperature"] = min(float(body["temperature"]), 1.0)
    if body.get("top_p") is not None:
        request["top_p"] = body["top_p"]
    stop = body.get("stop")
    if stop:
        request["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return request


def _content(turn: Turn) -> str | list[dict[str, Any]]:
    """A turn without images is one string, its messages as paragraphs; with images, a
    block per text and per image in order."""
    texts = turn.texts
    if texts is not None:
        return "\n\n".join(texts)
    return [_block(segment) for message in turn.messages for segment in message]


def _block(segment: Segment) -> dict[str, Any]:
    if isinstance(segment, str):
        return {"type": "text", "text": segment}
    if isinstance(segment, ImageUrl):
        return {"type": "image", "source": {"type": "url", "url": segment.url}}
    if segment.media_type not in IMAGE_TYPES:
        raise ContentError(refusal(segment, "Anthropic's Messages API", IMAGE_TYPES, urls=True))
    source = {"type": "base64", "media_type": segment.media_type, "data": segment.data}
    return {"type": "image", "source": source}
