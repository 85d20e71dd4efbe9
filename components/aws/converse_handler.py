"""The Lambda handler of a ``lambda`` target: an OpenAI-compatible chat endpoint in front
of one Bedrock model, called through the Converse API.

Runs on the Lambda Python runtime with the standard library, the runtime's boto3 and the
router's translator (``router.converse``), which its zip ships beside this file
(``inferplane.packaging.converse_zip``): the router's ``bedrock`` backend and this
handler send the very same Converse request for a chat request (function calling
included: ``tools`` as ``toolConfig``, calls and results as ``toolUse`` / ``toolResult``).
It answers function-URL events: ``GET /healthz``, ``GET /v1/models`` and
``POST /v1/chat/completions``. The URL is BUFFERED, so ``stream: true`` is answered with
ConverseStream's events translated to OpenAI chunks and returned together, ending in
``[DONE]`` (or an error event when Bedrock failed mid-stream). Configuration comes from
the environment: ``MODEL_ID`` (model ID or inference profile), optional
``GUARDRAIL_ID`` and ``GUARDRAIL_VERSION``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# In the zip this file is the top-level module beside the top-level ``router`` package; in
# the toolkit it is inferplane.components.aws.converse_handler beside inferplane.router
# (the tests drive it there and from the built zip).
if TYPE_CHECKING or __package__:
    from inferplane.router.converse import (
        StreamTranslation,
        TranslationError,
        status_for,
        to_completion,
        to_converse,
    )
    from inferplane.router.openai_shapes import chunk_dict, usage_dict
else:
    from router.converse import (
        StreamTranslation,
        TranslationError,
        status_for,
        to_completion,
        to_converse,
    )
    from router.openai_shapes import chunk_dict, usage_dict

__all__ = ["handler"]

# One client per execution environment, created on first use (reused across invocations).
_clients: dict[str, Any] = {}
DONE = "data: [DONE]\n\n"


def _bedrock() -> Any:
    if "bedrock" not in _clients:
        import boto3

        _clients["bedrock"] = boto3.client("bedrock-runtime")
    return _clients["bedrock"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    method, path = http.get("method", "GET"), event.get("rawPath", "/")
    if method == "POST" and path == "/v1/chat/completions":
        return _chat(event, context)
    return _other(method, path)


def _other(method: str, path: str) -> dict[str, Any]:
    if method == "GET" and path == "/healthz":
        return _json(200, {"status": "ok"})
    if method == "GET" and path == "/v1/models":
        model = os.environ["MODEL_ID"]
        return _json(200, {"object": "list", "data": [{"id": model, "object": "model"}]})
    if path != "/v1/chat/completions":
        return _error(404, f"no route {method} {path}", "not_found")
    return _error(405, f"{method} is not allowed on {path}", "method_not_allowed")


def _chat(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = _body(event)
        request = _converse_request(body)
    except ValueError as exc:  # TranslationError included
        return _error(400, str(exc), "invalid_request_error")
    completion_id = f"chatcmpl-{getattr(context, 'aws_request_id', None) or time.time_ns()}"
    if body.get("stream") is True:
        return _stream(request, completion_id, _include_usage(body))
    return _complete(request, completion_id)


def _converse_request(body: Any) -> dict[str, Any]:
    """The Converse arguments for ``body``: the shared translation, plus the guardrail the
    function's environment names."""
    request = to_converse(body, os.environ["MODEL_ID"])
    guardrail = os.environ.get("GUARDRAIL_ID")
    if guardrail:
        request["guardrailConfig"] = {
            "guardrailIdentifier": guardrail,
            "guardrailVersion": os.environ.get("GUARDRAIL_VERSION", "DRAFT"),
        }
    return request


def _complete(request: dict[str, Any], completion_id: str) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = _bedrock().converse(**request)
    except ClientError as exc:
        return _aws_error(exc.response)
    except BotoCoreError as exc:  # unreachable endpoint, timeouts
        return _error(502, str(exc), "upstream_error")
    return _json(200, to_completion(answer, request["modelId"], completion_id))


def _stream(request: dict[str, Any], completion_id: str, include_usage: bool) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    ids = (completion_id, request["modelId"], int(time.time()))
    translation = StreamTranslation()
    events: list[str] = []
    try:
        for event in _bedrock().converse_stream(**request)["stream"]:
            step = translation.step(event)
            if step is not None:
                events.append(_data(chunk_dict(*ids, step.delta, finish_reason=step.finish_reason)))
    except (ClientError, BotoCoreError) as exc:
        if not events and isinstance(exc, ClientError):
            return _aws_error(exc.response)  # nothing produced yet: an honest status
        return _event_stream([*events, _error_event(f"Bedrock failed mid-stream: {exc}")])
    return _event_stream(events + _ending(translation, ids, include_usage))


def _ending(
    translation: StreamTranslation, ids: tuple[str, str, int], include_usage: bool
) -> list[str]:
    """A finished stream's last events: the usage chunk if asked for, then ``[DONE]``."""
    if not translation.finished:
        return [_error_event("Bedrock ended the stream before messageStop")]
    if not include_usage:
        return [DONE]
    return [_data(chunk_dict(*ids, {}, usage=usage_dict(*translation.usage))), DONE]


def _event_stream(events: list[str]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "text/event-stream", "cache-control": "no-cache"},
        "body": "".join(events),
    }


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _body(event: dict[str, Any]) -> Any:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TranslationError(f"body is not JSON: {exc.msg}") from exc
    return body


def _aws_error(response: Mapping[str, Any]) -> dict[str, Any]:
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = status_for(code, response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    return _error(status, str(error.get("Message") or code), code or "upstream_error")


def _json(status: int, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(payload),
    }


def _error(status: int, message: str, kind: str) -> dict[str, Any]:
    return _json(status, {"error": {"message": message, "type": kind, "code": status}})


def _data(chunk: dict[str, Any]) -> str:
    return f"data: {json.dumps(chunk)}\n\n"


def _error_event(message: str) -> str:
    body = {"error": {"message": message, "type": "upstream_error", "param": None, "code": None}}
    return f"event: error\n{_data(body)}"
