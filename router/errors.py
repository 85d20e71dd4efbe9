"""The one exception tree of the router.

    RouterError                     anything the router answers with an error body
    ├── ConfigError                 start-up only: config or a secret cannot be loaded
    ├── RequestError                400 the request is malformed (bad JSON, wrong fields)
    │   └── BodyTooLargeError       413 the body exceeds limits.max_body_bytes
    ├── NotFoundError               404 unknown path
    ├── MethodNotAllowedError       405
    ├── AuthenticationError         401 missing or unknown API key
    ├── PermissionDeniedError       403 the key may not use this data class or route
    ├── RateLimitError              429 the key's requests-per-minute limit is spent
    ├── NoTargetError               503 no allowed, healthy target remains (names why)
    ├── StateUnavailableError       the shared state store (Redis) is unreachable; never
    │                               reaches a client: the core degrades (state.py)
    └── UpstreamError               502 one target failed; decides retry and fallback
        ├── UpstreamConnectError    refused, reset or closed before a complete answer
        ├── UpstreamTimeoutError    504 connect, first-byte or total timeout
        ├── UpstreamStatusError     the target answered with an error status
        └── UpstreamProtocolError   the target's answer could not be understood

Every error renders as an OpenAI-style body ``{"error": {"message", "type", "param",
"code"}}``. SDK and transport errors (aiohttp, botocore) are translated at the backend
boundary with ``raise ... from exc``; nothing below the core leaks a raw exception.
"""

from __future__ import annotations

import orjson

__all__ = [
    "AuthenticationError",
    "BodyTooLargeError",
    "ConfigError",
    "MethodNotAllowedError",
    "NoTargetError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestError",
    "RouterError",
    "StateUnavailableError",
    "UpstreamConnectError",
    "UpstreamError",
    "UpstreamProtocolError",
    "UpstreamStatusError",
    "UpstreamTimeoutError",
]


class RouterError(Exception):
    """Base of every error the router reports; carries its HTTP status and error type."""

    status: int = 500
    type: str = "internal_error"
    code: str | None = None
    detail: str | None = None
    """What the router's log line says instead of ``message`` (upstream addresses,
    exception text); never sent to the client."""
    retry_after: int | None = None
    """Seconds a client should wait before trying again (the ``Retry-After`` header)."""
    route: str = "-"
    data_class: str = "-"
    """Where the request got before it was refused: the metric labels and log fields of
    the refusal (the core fills them in as the request moves on)."""
    reason: str | None = None
    """The refusal's reason label (``inferplane_requests_total``); default: the code."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())


class ConfigError(RouterError):
    """The config or one of its secrets cannot be loaded (start-up only)."""

    type = "config_error"


class RequestError(RouterError):
    status = 400
    type = "invalid_request_error"


class BodyTooLargeError(RequestError):
    status = 413
    code = "request_too_large"


class NotFoundError(RouterError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class MethodNotAllowedError(RouterError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class AuthenticationError(RouterError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(RouterError):
    status = 403
    type = "permission_error"


class RateLimitError(RouterError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"
    retry_after = 60


class NoTargetError(RouterError):
    """No target may take the request: residency, health, budget or all attempts failed."""

    status = 503
    type = "service_unavailable"
    code = "no_target_available"


class StateUnavailableError(RouterError):
    """The shared state store did not answer; caught inside the router, which then skips
    the caches and limits in process (``router.state.FailSafeStore``)."""

    status = 503
    type = "service_unavailable"
    code = "state_unavailable"


class UpstreamError(RouterError):
    """One target failed. ``retry``: the same target may be tried again; ``fallback``:
    another target may be tried. Both only while no byte has reached the client."""

    status = 502
    type = "upstream_error"
    retry: bool = True
    fallback: bool = True
    breaker_failure: bool = True
    """False: the target is not failing (a cold target the request cannot wait for)."""

    def __init__(self, message: str, *, target: str = "", code: str | None = None):
        super().__init__(message, code=code)
        self.target = target


class UpstreamConnectError(UpstreamError):
    code = "upstream_unreachable"


class UpstreamTimeoutError(UpstreamError):
    status = 504
    code = "upstream_timeout"
    # A timed-out target is likely to time out again: move on instead of waiting twice.
    retry = False


class UpstreamStatusError(UpstreamError):
    """The target answered with ``upstream_status``. Client errors (4xx other than 408 and
    429) are the caller's fault: they are returned as they are, never retried elsewhere."""

    code = "upstream_status"

    def __init__(self, message: str, *, target: str = "", upstream_status: int) -> None:
        super().__init__(message, target=target)
        self.upstream_status = upstream_status
        client_fault = 400 <= upstream_status < 500 and upstream_status not in (408, 429)
        self.fallback = not client_fault
        self.retry = upstream_status >= 500
        if client_fault:
            self.status = upstream_status
            self.type = "invalid_request_error"


class UpstreamProtocolError(UpstreamError):
    code = "upstream_protocol_error"
    retry = False
