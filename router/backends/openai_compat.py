"""OpenAI-compatible targets: vLLM, TGI, Ollama, llama.cpp server, OpenAI itself, edge
sites. Credentials come from ``target.auth`` (an ``api_key`` sends ``Bearer <key>``).

The hot path: the request is forwarded as it is (model and max_tokens already set by the
core), a JSON answer is relayed byte for byte (parsed once for usage), and a stream is
relayed in whole-event blocks without parsing chunks. ``target.url`` is the base URL up to
and including ``/v1``. A self-hosted server fetches a request's media URLs itself, inside
the deployment's network: for a ``url_fetch: private`` target they are refused
(``router.fetch``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..config import TargetConfig
from ..errors import UpstreamProtocolError, UpstreamStatusError
from ..sse import DONE
from .base import BackendContext, ChatBackend, Completion, Usage
from .http import client_timeout, parse_json

__all__ = ["OpenAICompatBackend", "relay_openai_stream", "usage_of"]


class OpenAICompatBackend(ChatBackend):
    kind = "openai"
    bounds_total = True  # client_timeout: aiohttp gives up after timeouts.total

    def __init__(self, name: str, target: TargetConfig, context: BackendContext) -> None:
        super().__init__(name, target, context)
        if target.url is None:
            raise ValueError(f"target {name!r}: backend {target.backend!r} needs a url")
        self.base = target.url.rstrip("/")
        self.url = self.endpoint_url("chat/completions")
        self.headers = {"content-type": "application/json"}
        self.timeout = client_timeout(target)

    def endpoint_url(self, endpoint: str) -> str:
        """The URL of one OpenAI endpoint (``completions``, ``embeddings``) of the target."""
        return f"{self.base}/{endpoint}"

    async def complete(self, body: dict[str, Any]) -> Completion:
        self.check_fetch(body)
        return await self._post(self.url, body)

    async def send(self, endpoint: str, body: dict[str, Any]) -> Completion:
        """A JSON answer from another OpenAI endpoint (legacy completions, embeddings)."""
        self.check_fetch(body)  # multimodal embeddings take chat messages too
        return await self._post(self.endpoint_url(endpoint), body)

    async def _post(self, url: str, body: dict[str, Any]) -> Completion:
        data = orjson.dumps(body)
        async with self.post(url, data, self.headers, self.timeout) as resp:
            raw = await resp.read()
        return Completion(raw, usage_of(parse_json(raw, self.name)))

    def stream(
        self, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        self.check_fetch(body)
        return self._stream(self.url, body, usage, include_usage)

    def stream_endpoint(
        self, endpoint: str, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        """A stream from another OpenAI endpoint (legacy completions)."""
        self.check_fetch(body)
        return self._stream(self.endpoint_url(endpoint), body, usage, include_usage)

    async def _stream(
        self, url: str, body: dict[str, Any], usage: Usage, include_usage: bool
    ) -> AsyncIterator[bytes]:
        # Always ask for usage (metering needs it); drop that chunk if the client did not.
        body = {**body, "stream": True, "stream_options": {"include_usage": True}}
        data = orjson.dumps(body)
        async with self.post(url, data, self.headers, self.timeout) as resp:
            async for block in relay_openai_stream(
                resp.content.iter_any(), usage, include_usage, self.name
            ):
                yield block


async def relay_openai_stream(
    source: AsyncIterator[bytes], usage: Usage, include_usage: bool, target: str
) -> AsyncIterator[bytes]:
    """Whole events from an OpenAI SSE byte stream, in order; raises if it ends early."""
    pending = b""
    async for data in source:
        if not pending and data.endswith(b"\n\n"):
            block = data  # the usual read: whole events, nothing to join or cut
        else:
            pending += data
            cut = pending.rfind(b"\n\n")
            if cut < 0:
                if b"\r" in pending:
                    pending = pending.replace(b"\r\n", b"\n")
                continue
            block, pending = pending[: cut + 2], pending[cut + 2 :]
        if b'"usage"' in block or b'"error"' in block:
            block = _inspect(block, usage, include_usage, target)
        if block.endswith(DONE):
            yield block
            # Read to the end of the upstream response (the chunked terminator): a response
            # released before its end closes the connection instead of pooling it, and the
            # next request would pay a new TCP connection.
            async for _ in source:
                pass
            return
        if block:
            yield block
    raise UpstreamProtocolError(f"target {target!r} ended the stream before [DONE]", target=target)


def _inspect(block: bytes, usage: Usage, include_usage: bool, target: str) -> bytes:
    """``block`` with its usage read (and its usage-only event dropped unless the client
    asked for it); an error event raises. Only the events that mention ``"usage"`` or
    ``"error"`` are looked at: a block of many coalesced events is not split up."""
    kept: list[bytes] = []
    done = 0  # block[:done] is decided
    while (hit := _marker(block, done)) >= 0:
        begin = block.rfind(b"\n\n", done, hit)
        begin = done if begin < 0 else begin + 2
        end = block.find(b"\n\n", hit)
        end = len(block) if end < 0 else end
        kept.append(block[done:begin])
        event = _inspect_event(block[begin:end], usage, include_usage, target)
        if event:
            kept.append(event + b"\n\n")
        done = end + 2
    kept.append(block[done:])
    return b"".join(kept)


def _marker(block: bytes, start: int) -> int:
    """Where the next ``"usage"`` or ``"error"`` is in ``block`` from ``start`` (-1: none)."""
    found = [i for i in (block.find(b'"usage"', start), block.find(b'"error"', start)) if i >= 0]
    return min(found) if found else -1


def _inspect_event(event: bytes, usage: Usage, include_usage: bool, target: str) -> bytes:
    """One event that mentions usage or an error: kept as it is, or dropped (b"")."""
    if not event.startswith(b"data: {"):
        return event
    try:
        chunk = orjson.loads(event[6:])
    except orjson.JSONDecodeError:
        return event
    if not isinstance(chunk, dict):
        return event
    error = chunk.get("error")
    if isinstance(error, dict):
        raise UpstreamStatusError(
            f"target {target!r} failed mid-stream: {error.get('message')}",
            target=target,
            upstream_status=502,
        )
    found = chunk.get("usage")
    if isinstance(found, dict):
        usage.prompt_tokens = int(found.get("prompt_tokens") or 0)
        usage.completion_tokens = int(found.get("completion_tokens") or 0)
        if not include_usage and not chunk.get("choices"):
            return b""
    return event


def usage_of(body: Any) -> Usage:
    if not isinstance(body, dict):
        raise UpstreamProtocolError("answer is not a JSON object")
    found = body.get("usage")
    if not isinstance(found, dict):
        return Usage()
    return Usage(int(found.get("prompt_tokens") or 0), int(found.get("completion_tokens") or 0))
