"""What the core takes in and gives back, independent of any HTTP server: ``Request``,
``Response``, the ``Endpoint`` table entry and OpenAI-shaped error responses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import RouterError

__all__ = [
    "CACHE_HEADER",
    "JSON",
    "REQUEST_ID_HEADER",
    "Endpoint",
    "Request",
    "Response",
    "error_response",
]

CACHE_HEADER = "x-inferplane-cache"
REQUEST_ID_HEADER = "x-request-id"
JSON = "application/json"


@dataclass(slots=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes = b""
    client: str = ""
    """The client's address, for the per-client rate limit when auth is off."""
    operator: bool = False
    """True when the request came in on the operator listener (``admin.port``)."""
    trace: Any = None
    """Its ``router.otel_trace.ServerTrace`` when telemetry is on (set by the Gateway)."""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One API path: its method, its handler and how its errors look on the wire (OpenAI's
    shape unless the API has its own, as Anthropic's Messages API does)."""

    method: str
    handler: Callable[[Request, str], Awaitable[Response]]
    render_error: Callable[[RouterError], Response] | None = None


def error_response(exc: RouterError) -> Response:
    """An error in OpenAI's shape; a 429 says when to retry (``Retry-After``)."""
    headers = {"content-type": JSON}
    if exc.retry_after is not None:
        headers["retry-after"] = str(exc.retry_after)
    return Response(exc.status, headers, exc.to_json())
