"""Vertex AI Gemini models (``generateContent`` / ``streamGenerateContent?alt=sse``).

``target.url`` is the models base, e.g.
``https://europe-west4-aiplatform.googleapis.com/v1/projects/P/locations/europe-west4/publishers/google/models``;
``target.model`` the model ID. The bearer token is the router's Google access token
(``google_access_token``: metadata server, refreshed in the background).

Images (``router.content``) become ``inlineData`` parts from base64 ``data:`` URLs. An
``http(s)`` image URL is refused with a 400: Gemini's ``fileData`` needs the file's MIME
type up front and fetches web URLs for some models only, and its ``gs://`` form would read
buckets with the deployment's identity.

Function calling (``router.tools``): ``tools`` become one ``functionDeclarations`` tool
(the schema as ``parametersJsonSchema``: full JSON Schema, not the OpenAPI subset of
``parameters``, so no keyword is lost), ``tool_choice`` ``toolConfig.functionCallingConfig``
(AUTO, NONE, ANY, ANY with ``allowedFunctionNames``), an assistant's ``tool_calls``
``functionCall`` parts and ``tool`` messages ``functionResponse`` parts (named by the call
they answer). ``parallel_tool_calls: false`` has no Gemini equivalent: refused. A
``functionCall`` in the answer comes back as a tool call (Gemini sends each whole, so a
stream carries it in one delta) and the finish reason is then ``tool_calls``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..content import ContentError, ImageUrl, media_types, refusal
from ..errors import UpstreamProtocolError
from ..openai_shapes import completion_dict
from ..sse import DONE, SseParser, chunk_event, new_completion_id, usage_dict
from ..tools import (
    Choice,
    ToolCall,
    ToolPiece,
    ToolResult,
    fold_with_tools,
    read_choice,
    read_tools,
)
from ..turns import text_parts
from .base import BackendContext, ChatBackend, Completion, Usage
from .http import client_timeout, parse_json

__all__ = ["IMAGE_TYPES", "VertexBackend", "to_gemini"]

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
}
IMAGE_TYPES = media_types("png", "jpeg", "webp", "heic", "heif")
"""The image MIME types Gemini on Vertex AI takes inline (Vertex AI docs, "Image
understanding": image/png, image/jpeg, image/webp, image/heic, image/heif)."""


class VertexBackend(ChatBackend):
    kind = "vertex"
    bounds_total = True  # client_timeout: aiohttp gives up after timeouts.total

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        super().__init__(name, target, context)
        if target.url is None:
            raise ValueError(f"target {name!r}: backend 'vertex' needs a url")
        base = f"{target.url.rstrip('/')}/{target.model}"
        self.url = base + ":generateContent"
        self.stream_url = base + ":streamGenerateContent?alt=sse"
        self.headers = {"content-type": "application/json"}
        self.timeout = client_timeout(target)

    async def complete(self, body: dict[str, Any]) -> Completion:
        data = orjson.dumps(self._request(body))
        async with self.post(self.url, data, self.headers, self.timeout) as resp:
            answer = parse_json(await resp.read(), self.name)
        text, calls, reason = _candidate(answer)
        usage = _usage(answer)
        finish = "tool_calls" if calls else FINISH_REASONS.get(reason or "STOP", "stop")
        out = completion_dict(
            self.target.model, text, finish, usage.prompt_tokens, usage.completion_tokens
        )
        if calls:
            message = out["choices"][0]["message"]
            message["tool_calls"] = calls
            message["content"] = text or None
        return Completion(orjson.dumps(out), usage)

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        data = orjson.dumps(self._request(body))
        ids = (new_completion_id(), self.target.model, int(time.time()))
        parser = SseParser()
        finished = False
        first = True
        called = 0
        async with self.post(self.stream_url, data, self.headers, self.timeout) as resp:
            async for raw in resp.content.iter_any():
                for _, payload in parser.feed(raw):
                    answer = orjson.loads(payload)
                    text, calls, reason = _candidate(answer)
                    if "usageMetadata" in answer:
                        found = _usage(answer)
                        usage.prompt_tokens = found.prompt_tokens
                        usage.completion_tokens = found.completion_tokens
                    if text or first:
                        delta = (
                            {"role": "assistant", "content": text} if first else {"content": text}
                        )
                        first = False
                        yield chunk_event(*ids, delta)
                    for call in calls:
                        yield chunk_event(*ids, {"tool_calls": [{"index": called, **call}]})
                        called += 1
                    if reason:
                        finished = True
                        finish = "tool_calls" if called else FINISH_REASONS.get(reason, "stop")
                        yield chunk_event(*ids, {}, finish_reason=finish)
        # Gemini ends a stream by closing it; only a finish reason tells complete from cut.
        if not finished:
            raise UpstreamProtocolError(f"target {self.name!r} ended the stream without finishing")
        if include_usage:
            yield chunk_event(
                *ids, {}, usage=usage_dict(usage.prompt_tokens, usage.completion_tokens)
            )
        yield DONE

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return to_gemini(body)
        except ContentError as exc:
            raise self.refused(exc) from exc


def to_gemini(body: dict[str, Any]) -> dict[str, Any]:
    """The ``generateContent`` request for the OpenAI chat ``body``: a part per message
    text and per image; raises ``ContentError`` for a part Gemini cannot take."""
    folded = fold_with_tools(body["messages"])
    tools = read_tools(body)
    choice = read_choice(body, tools)
    contents = [
        {
            "role": "model" if turn.role == "assistant" else "user",
            "parts": [_part(segment) for message in turn.messages for segment in message],
        }
        for turn in folded.turns
    ]
    request: dict[str, Any] = {"contents": contents}
    if folded.system:
        request["systemInstruction"] = {"parts": text_parts(folded.system)}
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP"), ("seed", "seed")):
        if body.get(ours) is not None:
            config[theirs] = body[ours]
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if config:
        request["generationConfig"] = config
    if tools:
        declarations = [
            {"name": t.name, "parametersJsonSchema": t.parameters}
            | ({"description": t.description} if t.description is not None else {})
            for t in tools
        ]
        request["tools"] = [{"functionDeclarations": declarations}]
    if choice is not None:
        request["toolConfig"] = {"functionCallingConfig": _calling(choice)}
    return request


def _calling(choice: Choice) -> dict[str, Any]:
    if not choice.parallel and choice.mode != "none":
        raise ContentError(
            "parallel_tool_calls: false cannot be sent to Gemini on Vertex AI (it has no "
            "such setting); allowed: true or not set"
        )
    mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}[choice.mode]
    config: dict[str, Any] = {"mode": mode}
    if choice.name is not None:
        config["allowedFunctionNames"] = [choice.name]
    return config


def _part(segment: ToolPiece) -> dict[str, Any]:
    if isinstance(segment, ToolCall):
        return {"functionCall": {"name": segment.name, "args": segment.arguments}}
    if isinstance(segment, ToolResult):
        response = {"name": segment.name, "response": {"content": segment.content}}
        return {"functionResponse": response}
    if isinstance(segment, str):
        return {"text": segment}
    if isinstance(segment, ImageUrl) or segment.media_type not in IMAGE_TYPES:
        raise ContentError(refusal(segment, "Gemini on Vertex AI", IMAGE_TYPES, urls=False))
    return {"inlineData": {"mimeType": segment.media_type, "data": segment.data}}


def _candidate(answer: Any) -> tuple[str, list[dict[str, Any]], str | None]:
    """The first candidate's text, its function calls as OpenAI tool calls (Gemini gives
    no call ids: one is made up) and its finish reason."""
    candidates = answer.get("candidates") if isinstance(answer, dict) else None
    if not candidates:
        return "", [], None
    first = candidates[0]
    parts = first.get("content", {}).get("parts", [])
    calls = [
        {
            "id": p["functionCall"].get("id") or "call_" + secrets.token_hex(12),
            "type": "function",
            "function": {
                "name": p["functionCall"].get("name", ""),
                "arguments": orjson.dumps(p["functionCall"].get("args") or {}).decode(),
            },
        }
        for p in parts
        if isinstance(p.get("functionCall"), dict)
    ]
    return "".join(p.get("text", "") for p in parts), calls, first.get("finishReason")


def _usage(answer: dict[str, Any]) -> Usage:
    found = answer.get("usageMetadata", {})
    return Usage(int(found.get("promptTokenCount", 0)), int(found.get("candidatesTokenCount", 0)))
