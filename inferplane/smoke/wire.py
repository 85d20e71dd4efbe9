"""The wire protocol of each backend, as the real service speaks it: which request is a
chat or a stream for one target, whether its body has the service's shape, and the answer
(JSON, SSE, or AWS event stream) carrying a given text and token usage.

Paths are checked against the target's original URL/model/endpoint (only host and scheme
are rewritten for the smoke), so a router that calls the wrong path fails."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

from inferplane.router.config import TargetConfig
from inferplane.smoke import openai_upstream
from inferplane.smoke.eventstream import event
from inferplane.smoke.server import Call, Reply
from inferplane.smoke.service_model import validate_request

__all__ = [
    "COMPLETION_TOKENS",
    "PROMPT_TOKENS",
    "Operation",
    "bedrock_reply",
    "operation",
    "reply",
]

PROMPT_TOKENS = 11
COMPLETION_TOKENS = 7
Operation = Literal["chat", "stream"]
AZURE_DEFAULT_API_VERSION = "2024-10-21"
OPENAI_CHAT = "an OpenAI chat request"


def operation(target: TargetConfig, call: Call) -> Operation | str:
    """``chat`` or ``stream`` when ``call`` is one of ``target``'s operations with the
    right shape, else why not."""
    if call.method != "POST":
        return f"{call.method} is not a chat call"
    return _OPERATIONS[target.backend](target, call)


def _base(target: TargetConfig) -> str:
    return urlsplit(target.url or "").path.rstrip("/")


def _body(call: Call, key: str, request: str) -> dict[str, object] | str:
    """The call's JSON body when it is ``request`` (an object whose ``key`` is a list),
    else why not."""
    body = call.json()
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        return f"body is not {request}"
    return body


def _routed(call: Call, routes: dict[str, Operation], key: str, request: str) -> Operation | str:
    """The operation of the call's path (with its query, if any) among ``routes``, for a
    body that is ``request``."""
    body = _body(call, key, request)
    if isinstance(body, str):
        return body
    query = urlsplit(call.target).query
    where = f"{call.path}?{query}" if query else call.path
    return routes.get(where) or f"{where} is not {' or '.join(routes)}"


def _chat(target: TargetConfig, call: Call, *, model_in_body: bool) -> Operation | str:
    body = _body(call, "messages", OPENAI_CHAT)
    if isinstance(body, str):
        return body
    if model_in_body and body.get("model") != target.model:
        return f"model {body.get('model')!r} is not the target's {target.model!r}"
    return "stream" if body.get("stream") else "chat"


def _openai(target: TargetConfig, call: Call) -> Operation | str:
    if call.path != _base(target) + "/chat/completions":
        return f"path {call.path} is not {_base(target)}/chat/completions"
    return _chat(target, call, model_in_body=True)


def _azure(target: TargetConfig, call: Call) -> Operation | str:
    expected = f"{_base(target)}/openai/deployments/{target.model}/chat/completions"
    if call.path != expected:
        return f"path {call.path} is not {expected}"
    version = call.query.get("api-version", [""])[0]
    if version != (target.api_version or AZURE_DEFAULT_API_VERSION):
        return f"api-version {version!r} is not {target.api_version or AZURE_DEFAULT_API_VERSION!r}"
    return _chat(target, call, model_in_body=False)


def _vertex(target: TargetConfig, call: Call) -> Operation | str:
    base = f"{_base(target)}/{target.model}"
    routes: dict[str, Operation] = {
        f"{base}:generateContent": "chat",
        f"{base}:streamGenerateContent?alt=sse": "stream",
    }
    return _routed(call, routes, "contents", "a Gemini generateContent request")


def _anthropic(target: TargetConfig, call: Call) -> Operation | str:
    if call.path != _base(target) + "/v1/messages":
        return f"path {call.path} is not {_base(target)}/v1/messages"
    if not call.headers.get("anthropic-version"):
        return "no anthropic-version header"
    body = call.json()
    if (
        not isinstance(body, dict)
        or body.get("model") != target.model
        or not body.get("max_tokens")
    ):
        return "body is not a Messages request for the target's model with max_tokens"
    return "stream" if body.get("stream") else "chat"


def _bedrock(target: TargetConfig, call: Call) -> Operation | str:
    """Converse or ConverseStream for ``target.model``, the request valid against
    botocore's bedrock-runtime model (``service_model``)."""
    stream = call.path.endswith("/converse-stream")
    labels, problem = validate_request(
        "bedrock-runtime", "ConverseStream" if stream else "Converse", call
    )
    if problem is not None:
        return problem
    if labels["modelId"] != target.model:
        return f"model {labels['modelId']!r} is not the target's {target.model!r}"
    return "stream" if stream else "chat"


def _sagemaker(target: TargetConfig, call: Call) -> Operation | str:
    base = f"/endpoints/{target.endpoint_name}"
    routes: dict[str, Operation] = {
        f"{base}/invocations": "chat",
        f"{base}/invocations-response-stream": "stream",
    }
    return _routed(call, routes, "messages", OPENAI_CHAT)


_OPERATIONS: dict[str, Callable[[TargetConfig, Call], Operation | str]] = {
    "openai": _openai,
    "lambda_url": _openai,
    "azure_openai": _azure,
    "vertex": _vertex,
    "anthropic": _anthropic,
    "bedrock": _bedrock,
    "sagemaker": _sagemaker,
}


def reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    """The service's answer to ``op`` with ``text`` as the model's output."""
    return _REPLIES[target.backend](target, op, text)


def _dumps(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _sse(events: list[object], done: bool = True, named: bool = False) -> bytes:
    out = b""
    for item in events:
        if named:
            assert isinstance(item, dict)
            out += b"event: " + str(item["type"]).encode() + b"\n"
        out += b"data: " + _dumps(item) + b"\n\n"
    return out + (b"data: [DONE]\n\n" if done else b"")


def _openai_reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    model, created = target.model, int(time.time())
    usage = openai_upstream.Usage(PROMPT_TOKENS, COMPLETION_TOKENS)
    if op == "chat":
        body = openai_upstream.completion(model, text, usage, id_="chatcmpl-smoke", created=created)
        return Reply(200, "application/json", _dumps(body))
    events = openai_upstream.stream_events(
        model, [text], usage, id_="chatcmpl-smoke", created=created
    )
    return Reply(200, "text/event-stream", _sse(list(events)))


def _vertex_reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    usage = {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": COMPLETION_TOKENS}
    content = {"role": "model", "parts": [{"text": text}]}
    if op == "chat":
        body = {
            "candidates": [{"content": content, "finishReason": "STOP"}],
            "usageMetadata": usage,
        }
        return Reply(200, "application/json", _dumps(body))
    events: list[object] = [
        {"candidates": [{"content": content}]},
        {
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": usage,
        },
    ]
    return Reply(200, "text/event-stream", _sse(events, done=False))


def _anthropic_reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    message = {"id": "msg_smoke", "type": "message", "role": "assistant", "model": target.model}
    if op == "chat":
        body = {
            **message,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS},
        }
        return Reply(200, "application/json", _dumps(body))
    events: list[object] = [
        {
            "type": "message_start",
            "message": {
                **message,
                "content": [],
                "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": COMPLETION_TOKENS},
        },
        {"type": "message_stop"},
    ]
    return Reply(200, "text/event-stream", _sse(events, done=False, named=True))


def bedrock_reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    """Converse's JSON answer, or ConverseStream's events in AWS event-stream framing."""
    usage = {
        "inputTokens": PROMPT_TOKENS,
        "outputTokens": COMPLETION_TOKENS,
        "totalTokens": PROMPT_TOKENS + COMPLETION_TOKENS,
    }
    if op == "chat":
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": usage,
            "metrics": {"latencyMs": 1},
        }
        return Reply(200, "application/json", _dumps(body))
    stream = b"".join(
        [
            event("messageStart", _dumps({"role": "assistant"})),
            event("contentBlockDelta", _dumps({"contentBlockIndex": 0, "delta": {"text": text}})),
            event("contentBlockStop", _dumps({"contentBlockIndex": 0})),
            event("messageStop", _dumps({"stopReason": "end_turn"})),
            event("metadata", _dumps({"usage": usage, "metrics": {"latencyMs": 1}})),
        ]
    )
    return Reply(200, "application/vnd.amazon.eventstream", stream)


def _sagemaker_reply(target: TargetConfig, op: Operation, text: str) -> Reply:
    answer = _openai_reply(target, op, text)
    if op == "chat":
        return answer
    # The container's SSE lines, cut into payload parts as SageMaker relays them.
    sse = answer.body
    middle = len(sse) // 2
    parts = [sse[:middle], sse[middle:]]
    stream = b"".join(event("PayloadPart", part, "application/octet-stream") for part in parts)
    return Reply(200, "application/vnd.amazon.eventstream", stream)


_REPLIES: dict[str, Callable[[TargetConfig, Operation, str], Reply]] = {
    "openai": _openai_reply,
    "lambda_url": _openai_reply,
    "azure_openai": _openai_reply,
    "vertex": _vertex_reply,
    "anthropic": _anthropic_reply,
    "bedrock": bedrock_reply,
    "sagemaker": _sagemaker_reply,
}
