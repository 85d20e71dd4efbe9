"""Anthropic's Messages API (``POST {url}/v1/messages``), mapped to and from OpenAI's shape.

``target.url`` defaults to ``https://api.anthropic.com``; an ``api_key`` auth sends the key
in ``x-api-key`` (unless ``auth.header`` names another); ``target.api_version`` sets the
``anthropic-version`` header.

Images (``router.content``) become ``image`` blocks: a base64 ``data:`` URL as a ``base64``
source, an ``http(s)`` URL as a ``url`` source Anthropic fetches (only for a target whose
``url_fetch`` is ``public``: an Anthropic-compatible server in the deployment's network
would fetch it from there, ``router.fetch``); a turn without images stays one string.

Function calling (``router.tools``): ``tools`` become Messages tools (``input_schema``),
``tool_choice`` auto/none/required/a function become ``auto``/``none``/``any``/``tool``
(``parallel_tool_calls: false``: ``disable_parallel_tool_use``), an assistant's
``tool_calls`` ``tool_use`` blocks and ``tool`` messages ``tool_result`` blocks (first in
their user turn, as the API requires). ``tool_use`` in the answer comes back as
``tool_calls``, streamed as OpenAI's tool-call deltas (``input_json_delta`` pieces).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..content import ContentError, ImageUrl, media_types, refusal
from ..errors import UpstreamProtocolError, UpstreamStatusError
from ..openai_shapes import completion_dict
from ..sse import DONE, SseParser, chunk_event, new_completion_id, usage_dict
from ..tools import (
    Choice,
    FunctionTool,
    ToolCall,
    ToolPiece,
    ToolResult,
    fold_with_tools,
    read_choice,
    read_tools,
)
from ..turns import BLANK, Turn
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
        blocks = answer.get("content", [])
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        found = answer.get("usage", {})
        usage = Usage(int(found.get("input_tokens", 0)), int(found.get("output_tokens", 0)))
        finish = FINISH_REASONS.get(answer.get("stop_reason") or "end_turn", "stop")
        out = completion_dict(
            self.target.model, text, finish, usage.prompt_tokens, usage.completion_tokens
        )
        calls = [_openai_call(b) for b in blocks if b.get("type") == "tool_use"]
        if calls:
            message = out["choices"][0]["message"]
            message["tool_calls"] = calls
            message["content"] = text or None
        return Completion(orjson.dumps(out), usage)

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        data = orjson.dumps(self._request(body, stream=True))
        ids = (new_completion_id(), self.target.model, int(time.time()))
        parser = SseParser()
        calls: dict[int, int] = {}  # content block index -> OpenAI tool call index
        async with self.post(self.url, data, self.headers, self.timeout) as resp:
            async for raw in resp.content.iter_any():
                for name, payload in parser.feed(raw):
                    event = orjson.loads(payload)
                    kind = name or event.get("type")
                    if kind == "content_block_start":
                        block = event.get("content_block", {})
                        if block.get("type") == "tool_use":
                            calls[event.get("index", 0)] = len(calls)
                            call = {**_openai_call(block), "index": len(calls) - 1}
                            call["function"]["arguments"] = ""
                            yield chunk_event(*ids, {"tool_calls": [call]})
                    elif kind == "content_block_delta" and event.get("index") in calls:
                        piece = event.get("delta", {}).get("partial_json")
                        if piece:
                            args = {"arguments": piece}
                            delta = {"index": calls[event["index"]], "function": args}
                            yield chunk_event(*ids, {"tool_calls": [delta]})
                    elif kind == "message_start":
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
        self.check_fetch(body)  # a url source is fetched by whoever serves this API
        try:
            return to_messages(body, self.target.model, stream=stream)
        except ContentError as exc:
            raise self.refused(exc) from exc


def to_messages(body: dict[str, Any], model: str, *, stream: bool) -> dict[str, Any]:
    """The Messages request for the OpenAI chat ``body``; raises ``ContentError`` for a
    part Anthropic cannot take."""
    folded = fold_with_tools(body["messages"])
    tools = read_tools(body)
    choice = read_choice(body, tools)
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
    if tools:
        request["tools"] = [_tool(tool) for tool in tools]
    if choice is not None:
        request["tool_choice"] = _choice(choice)
    return request


def _tool(tool: FunctionTool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description is not None:
        out["description"] = tool.description
    return out


def _choice(choice: Choice) -> dict[str, Any]:
    kind = {"auto": "auto", "none": "none", "required": "any", "function": "tool"}[choice.mode]
    out: dict[str, Any] = {"type": kind}
    if choice.name is not None:
        out["name"] = choice.name
    if not choice.parallel and kind != "none":
        out["disable_parallel_tool_use"] = True
    return out


def _openai_call(block: dict[str, Any]) -> dict[str, Any]:
    arguments = orjson.dumps(block.get("input") or {}).decode()
    function = {"name": block.get("name", ""), "arguments": arguments}
    return {"id": block.get("id", ""), "type": "function", "function": function}


def _content(turn: Turn[ToolPiece]) -> str | list[dict[str, Any]]:
    """A turn of text only is one string, its messages as paragraphs; else a block per
    text, image, tool use and tool result in order, except that a user turn's tool results
    come first (the API refuses text before them)."""
    texts = turn.texts
    if texts is not None:
        return "\n\n".join(texts)
    pieces = [piece for message in turn.messages for piece in message]
    results = [p for p in pieces if isinstance(p, ToolResult)]
    rest = [p for p in pieces if not isinstance(p, ToolResult)]
    return [_block(piece) for piece in results + rest if not (results and piece == BLANK)]


def _block(segment: ToolPiece) -> dict[str, Any]:
    if isinstance(segment, ToolCall):
        return {
            "type": "tool_use",
            "id": segment.id,
            "name": segment.name,
            "input": segment.arguments,
        }
    if isinstance(segment, ToolResult):
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": segment.call_id}
        if segment.content:
            block["content"] = segment.content
        return block
    if isinstance(segment, str):
        return {"type": "text", "text": segment}
    if isinstance(segment, ImageUrl):
        return {"type": "image", "source": {"type": "url", "url": segment.url}}
    if segment.media_type not in IMAGE_TYPES:
        raise ContentError(refusal(segment, "Anthropic's Messages API", IMAGE_TYPES, urls=True))
    source = {"type": "base64", "media_type": segment.media_type, "data": segment.data}
    return {"type": "image", "source": source}
