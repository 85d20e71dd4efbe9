"""Embeddings from each kind of target, answered in OpenAI's ``list`` of ``embedding``.

    OpenAI-compatible, Azure OpenAI,   POST .../embeddings, relayed as it is
    Lambda URL
    Bedrock Titan (amazon.titan-embed) InvokeModel once per input: {"inputText"}
    Bedrock Cohere (cohere.embed)      InvokeModel once: {"texts", "input_type"}
    Vertex (text-embedding, gemini-    POST {url}/{model}:predict with {"instances":
    embedding)                         [{"content"}]}

``embedder_for`` returns None for a target that cannot embed (Anthropic, SageMaker, a
Bedrock chat model): the endpoint leaves it out, and names the backends when none is left.
boto3 runs in the router's bounded thread pool, like Converse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ..backends import ChatBackend, Completion, Usage
from ..backends.aws import translate_aws_error
from ..backends.bedrock import BedrockBackend
from ..backends.http import parse_json, post
from ..backends.openai_compat import OpenAICompatBackend
from ..backends.vertex import VertexBackend
from ..errors import UpstreamProtocolError

__all__ = ["Embed", "embedder_for"]

Embed = Callable[[dict[str, Any]], Awaitable[Completion]]
"""The embeddings body (``model`` already the target's) to an OpenAI embeddings answer."""


def embedder_for(backend: ChatBackend) -> Embed | None:
    if isinstance(backend, OpenAICompatBackend):
        return lambda body: backend.send("embeddings", body)
    if isinstance(backend, BedrockBackend):
        model = backend.target.model
        if ".titan-embed" in model:
            return lambda body: _titan(backend, body)
        if ".embed-" in model and "cohere" in model:
            return lambda body: _cohere(backend, body)
        return None
    if isinstance(backend, VertexBackend):
        return lambda body: _vertex(backend, body)
    return None


def _inputs(body: dict[str, Any]) -> list[str]:
    value = body["input"]
    return [value] if isinstance(value, str) else list(value)


def _answer(vectors: list[list[float]], model: str, tokens: int) -> Completion:
    data = [
        {"object": "embedding", "index": index, "embedding": vector}
        for index, vector in enumerate(vectors)
    ]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    body = orjson.dumps({"object": "list", "data": data, "model": model, "usage": usage})
    return Completion(body, Usage(prompt_tokens=tokens))


async def _invoke(backend: BedrockBackend, payload: dict[str, Any]) -> dict[str, Any]:
    request = {
        "modelId": backend.target.model,
        "body": orjson.dumps(payload),
        "contentType": "application/json",
        "accept": "application/json",
    }
    try:
        response = await backend.context.run_blocking(
            lambda: backend.client.invoke_model(**request)
        )
        answer = orjson.loads(response["body"].read())
    except Exception as exc:
        raise translate_aws_error(exc, backend.name) from exc
    if not isinstance(answer, dict):
        raise UpstreamProtocolError(f"target {backend.name!r}: answer is not an object")
    return answer


async def _titan(backend: BedrockBackend, body: dict[str, Any]) -> Completion:
    vectors: list[list[float]] = []
    tokens = 0
    for text in _inputs(body):  # Titan embeds one text per call
        payload: dict[str, Any] = {"inputText": text}
        if body.get("dimensions") is not None:
            payload["dimensions"] = body["dimensions"]
        answer = await _invoke(backend, payload)
        vector = answer.get("embedding")
        if not isinstance(vector, list):
            raise UpstreamProtocolError(f"target {backend.name!r}: no embedding in the answer")
        vectors.append(vector)
        tokens += int(answer.get("inputTextTokenCount") or 0)
    return _answer(vectors, backend.target.model, tokens)


async def _cohere(backend: BedrockBackend, body: dict[str, Any]) -> Completion:
    answer = await _invoke(backend, {"texts": _inputs(body), "input_type": "search_document"})
    vectors = answer.get("embeddings")
    if isinstance(vectors, dict):  # embedding_types given: {"float": [...]}
        vectors = vectors.get("float")
    if not isinstance(vectors, list):
        raise UpstreamProtocolError(f"target {backend.name!r}: no embeddings in the answer")
    return _answer(vectors, backend.target.model, 0)


async def _vertex(backend: VertexBackend, body: dict[str, Any]) -> Completion:
    assert backend.target.url is not None  # checked when the backend was built
    url = f"{backend.target.url.rstrip('/')}/{backend.target.model}:predict"
    payload: dict[str, Any] = {"instances": [{"content": text} for text in _inputs(body)]}
    if body.get("dimensions") is not None:
        payload["parameters"] = {"outputDimensionality": body["dimensions"]}
    data = orjson.dumps(payload)
    headers = await backend.authorized_headers(url, data, backend.headers)
    async with post(
        backend.context.session,
        url,
        data,
        headers,
        timeout=backend.timeout,
        target=backend.name,
        tls=backend.credentials.ssl,
    ) as resp:
        answer = parse_json(await resp.read(), backend.name)
    vectors: list[list[float]] = []
    tokens = 0
    for prediction in answer.get("predictions") or () if isinstance(answer, dict) else ():
        embedding = prediction.get("embeddings") or {}
        values = embedding.get("values")
        if not isinstance(values, list):
            raise UpstreamProtocolError(f"target {backend.name!r}: a prediction has no values")
        vectors.append(values)
        tokens += int((embedding.get("statistics") or {}).get("token_count") or 0)
    if len(vectors) != len(payload["instances"]):
        raise UpstreamProtocolError(f"target {backend.name!r}: predictions do not match inputs")
    return _answer(vectors, backend.target.model, tokens)
