"""Vertex AI Gemini models (``generateContent`` / ``streamGenerateContent?alt=sse``).

``target.url`` is the models base, e.g.
``https://europe-west4-aiplatform.googleapis.com/v1/projects/P/locations/europe-west4/publishers/google/models``;
``target.model`` the model ID. The bearer token is the router's Google access token
(``google_access_token``: metadata server, refreshed in the background).

Images (``router.content``) become ``inlineData`` parts from base64 ``data:`` URLs. An
``http(s)`` image URL is refused with a 400: Gemini's ``fileData`` needs the file's MIME
type up front and fetches web URLs for some models only, and its ``gs://`` form would read
buckets with the deployment's identity.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..content import ContentError, ImageUrl, Segment, media_types, refusal
from ..errors import UpstreamProtocolError
from ..sse import DONE, SseParser, chunk_event, completion_body, new_completion_id, usage_dict
from ..turns import fold_messages, text_parts
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
        text, reason = _candidate(answer)
        usage = _usage(answer)
        finish = FINISH_REASONS.get(reason or "STOP", "stop")
        out = completion_body(
            self.target.model, text, finish, usage.prompt_tokens, usage.completion_tokens
        )
        return Completion(out, usage)

    async def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        data = orjson.dumps(self._request(body))
        ids = (new_completion_id(), self.target.model, int(time.time()))
        parser = SseParser()
        finished = False
        first = True
        async with self.post(self.stream_url, data, self.headers, self.timeout) as resp:
            async for raw in resp.content.iter_any():
                for _, payload in parser.feed(raw):
                    answer = orjson.loads(payload)
                    text, reason = _candidate(answer)
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
                    if reason:
                        finished = True
                        yield chunk_event(
                            *ids, {}, finish_reason=FINISH_REASONS.get(reason, "stop")
                        )
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
    folded = fold_messages(body["messages"])
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
    return request


def _part(segment: Segment) -> dict[str, Any]:
    if isinstance(segment, str):
        return {"text": segment}
    if isinstance(segment, ImageUrl) or segment.media_type not in IMAGE_TYPES:
        raise ContentError(refusal(segment, "Gemini on Vertex AI", IMAGE_TYPES, urls=False))
    return {"inlineData": {"mimeType": segment.media_type, "data": segment.data}}


def _candidate(answer: Any) -> tuple[str, str | None]:
    candidates = answer.get("candidates") if isinstance(answer, dict) else None
    if not candidates:
        return "", None
    first = candidates[0]
    parts = first.get("content", {}).get("parts", [])
    return "".join(p.get("text", "") for p in parts), first.get("finishReason")


def _usage(answer: dict[str, Any]) -> Usage:
    found = answer.get("usageMetadata", {})
    return Usage(int(found.get("promptTokenCount", 0)), int(found.get("candidatesTokenCount", 0)))
