"""The Lambda handler of a ``lambda`` target: an OpenAI-compatible chat endpoint in front
of one Bedrock model, called through the Converse API.

Runs on the Lambda Python runtime with only the standard library and the runtime's boto3.
It answers function-URL events: ``GET /healthz``, ``GET /v1/models`` and
``POST /v1/chat/completions``. The URL is BUFFERED, so ``stream: true`` is answered as one
server-sent-event chunk followed by ``[DONE]``. Configuration comes from the environment:
``MODEL_ID`` (model ID or inference profile), optional ``GUARDRAIL_ID`` and
``GUARDRAIL_VERSION``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

__all__ = ["handler", "to_converse", "to_openai"]

# One client per execution environment, created on first use (reused across invocations).
_clients: dict[str, Any] = {}

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429,
    "ModelNotReadyException": 503,
    "ServiceUnavailableException": 503,
    "ModelTimeoutException": 504,
}


def _bedrock() -> Any:
    if "bedrock" not in _clients:
        import boto3

        _clients["bedrock"] = boto3.client("bedrock-runtime")
    return _clients["bedrock"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    method, path = http.get("method", "GET"), event.get("rawPath", "/")
    if method == "GET" and path == "/healthz":
        return _json(200, {"status": "ok"})
    if method == "GET" and path == "/v1/models":
        model = os.environ["MODEL_ID"]
        return _json(200, {"object": "list", "data": [{"id": model, "object": "model"}]})
    if path != "/v1/chat/completions":
        return _error(404, f"no route {method} {path}", "not_found")
    if method != "POST":
        return _error(405, f"{method} is not allowed on {path}", "method_not_allowed")
    try:
        body = _body(event)
        request = to_converse(body, os.environ["MODEL_ID"])
    except ValueError as exc:
        return _error(400, str(exc), "invalid_request_error")
    guardrail = os.environ.get("GUARDRAIL_ID")
    if guardrail:
        request["guardrailConfig"] = {
            "guardrailIdentifier": guardrail,
            "guardrailVersion": os.environ.get("GUARDRAIL_VERSION", "DRAFT"),
        }
    from botocore.exceptions import ClientError

    try:
        answer = _bedrock().converse(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", code)
        return _error(STATUS.get(code, 502), message, code or "upstream_error")
    request_id = getattr(context, "aws_request_id", None) or str(time.time_ns())
    completion = to_openai(answer, request["modelId"], request_id)
    if body.get("stream"):
        return _sse(completion)
    return _json(200, completion)


def to_converse(body: Any, model_id: str) -> dict[str, Any]:
    """An OpenAI chat request as Converse arguments."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise ValueError("body must be a JSON object with a messages list")
    system: list[dict[str, str]] = []
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(body["messages"]):
        role = message.get("role") if isinstance(message, dict) else None
        text = _text(message.get("content") if isinstance(message, dict) else None, i)
        if role in ("system", "developer"):
            system.append({"text": text})
        elif role in ("user", "assistant"):
            messages.append({"role": role, "content": [{"text": text}]})
        else:
            raise ValueError(f"messages[{i}].role: {role!r} is not system, user or assistant")
    request: dict[str, Any] = {"modelId": model_id, "messages": messages}
    if system:
        request["system"] = system
    config = _inference_config(body)
    if config:
        request["inferenceConfig"] = config
    return request


def to_openai(answer: dict[str, Any], model: str, request_id: str) -> dict[str, Any]:
    """A Converse answer as an OpenAI chat completion."""
    content = answer.get("output", {}).get("message", {}).get("content", [])
    text = "".join(part.get("text", "") for part in content)
    usage = answer.get("usage", {})
    prompt, completion = usage.get("inputTokens", 0), usage.get("outputTokens", 0)
    return {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": FINISH.get(answer.get("stopReason", ""), "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        ]
        if len(parts) == len(content):
            return "".join(parts)
    raise ValueError(f"messages[{index}].content: only text content is supported")


def _inference_config(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None:
        config["maxTokens"] = int(max_tokens)
    for ours, theirs in (("temperature", "temperature"), ("top_p", "topP")):
        if body.get(ours) is not None:
            config[theirs] = float(body[ours])
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    return config


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON: {exc.msg}") from exc


def _json(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
    }


def _error(status: int, message: str, kind: str) -> dict[str, Any]:
    return _json(status, {"error": {"message": message, "type": kind, "code": status}})


def _sse(completion: dict[str, Any]) -> dict[str, Any]:
    choice = completion["choices"][0]
    chunk = {
        **completion,
        "object": "chat.completion.chunk",
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": choice["message"]["content"]},
                "finish_reason": choice["finish_reason"],
            }
        ],
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "text/event-stream", "cache-control": "no-cache"},
        "body": f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n",
    }
