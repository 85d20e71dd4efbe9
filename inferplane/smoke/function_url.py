"""A fake Lambda function URL in ``BUFFERED`` mode in front of a ``PythonFunction``: what
the function URL service does between the HTTP client and the handler.

- ``AWS_IAM`` auth: a request without a valid SigV4 signature (service ``lambda``) is
  answered 403 ``{"Message":"Forbidden"}`` and never reaches the function.
- The request becomes a payload-format-2.0 event (``rawPath``, ``rawQueryString``,
  lower-case ``headers``, ``requestContext.http``, ``body`` base64-encoded unless it is
  text, ``isBase64Encoded``).
- The handler's result becomes the response: ``statusCode``/``headers``/``body``/
  ``isBase64Encoded``, or any other JSON value as a 200 ``application/json`` body; a
  handler error or timeout is a 502, a request or response over 6 MB is refused.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from inferplane.smoke.python_runtime import PythonFunction
from inferplane.smoke.server import Call, Reply

__all__ = ["MAX_PAYLOAD", "FunctionUrl", "function_url_event", "function_url_reply"]

MAX_PAYLOAD = 6 * 1024 * 1024
"""A buffered function URL's limit on the request and the response payload."""
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def function_url_event(call: Call, url_id: str, region: str, account: str) -> dict[str, Any]:
    """The payload-format-2.0 event Lambda hands the handler for ``call``."""
    path, _, query = call.target.partition("?")
    content_type = call.headers.get("content-type", "")
    text = not call.body or content_type.startswith(_TEXT_TYPES)
    try:
        body = call.body.decode() if text else None
    except UnicodeDecodeError:
        body = None
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": dict(call.headers),
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": f"{url_id}.lambda-url.{region}.on.aws",
            "domainPrefix": url_id,
            "http": {
                "method": call.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": call.headers.get("user-agent", ""),
            },
            "requestId": f"smoke-{int(now * 1000)}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
            "authorizer": {"iam": {"accountId": account}},
        },
        "body": body if body is not None else base64.b64encode(call.body).decode(),
        "isBase64Encoded": body is None,
    }


def function_url_reply(result: Any) -> Reply:
    """The HTTP response the function URL sends for the handler's ``result``."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return Reply(200, "application/json", json.dumps(result).encode())
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    content_type = headers.pop("content-type", "application/json")
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    headers.pop("content-length", None)
    return Reply(int(result["statusCode"]), content_type, body, headers)


def _service_error(status: int, message: str, error_type: str) -> Reply:
    body = json.dumps({"Message": message}).encode()
    headers = {"x-amzn-errortype": error_type} if error_type else {}
    return Reply(status, "application/json", body, headers)


class FunctionUrl:
    """An app for ``LoopbackServer``. ``authorize(call)`` is None when the URL's auth
    admits ``call`` (always, for auth type ``NONE``), else why not."""

    def __init__(
        self,
        function: PythonFunction,
        authorize: Callable[[Call], str | None],
        *,
        url_id: str,
        region: str,
        account: str,
    ) -> None:
        self.function = function
        self.authorize = authorize
        self.url_id, self.region, self.account = url_id, region, account

    def __call__(self, call: Call) -> Reply:
        return self.respond(call)[0]

    def respond(self, call: Call) -> tuple[Reply, str | None]:
        """The response, and why the URL refused the call or the function failed."""
        refused = self.authorize(call)
        if refused is not None:
            return _service_error(403, "Forbidden", "AccessDeniedException"), refused
        if len(call.body) > MAX_PAYLOAD:
            too_big = f"Request must be smaller than {MAX_PAYLOAD} bytes"
            return _service_error(413, too_big, ""), too_big
        event = function_url_event(call, self.url_id, self.region, self.account)
        result, error = self.function.invoke(event)
        if error is not None:
            return _service_error(502, "Internal Server Error", ""), f"the function failed: {error}"
        reply = function_url_reply(result)
        if len(reply.body) > MAX_PAYLOAD:
            over = f"the function's response of {len(reply.body)} bytes is over 6 MB"
            return _service_error(502, "Internal Server Error", ""), over
        return reply, None
