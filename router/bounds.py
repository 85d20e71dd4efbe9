"""What one request may cost the router, so one client cannot slow down the others.

- **Size**: a body over ``limits.max_body_bytes`` is a 413 (checked before it is read when
  the client sends ``Content-Length``); a request with more than ``limits.max_messages``
  messages (embeddings: inputs) is a 413 naming that limit.
- **CPU on the event loop**: parsing, validating and PII-scanning a body are linear in its
  size and all run in Python or C without yielding. Bodies of ``limits.offload_bytes`` or
  more do that work in a worker thread (``off_loop``), so the loop keeps answering other
  clients meanwhile: it waits at most for the interpreter's switch interval (5 ms), not for
  the whole scan. Small bodies stay on the loop, where a thread hop would cost more than
  the work.
- **Time**: a connection must send a request's headers within ``limits.header_timeout_s``
  of opening or of its previous answer (``server_options``: aiohttp's keep-alive timer
  also runs while a request's headers are incomplete), and the body within
  ``limits.body_timeout_s`` (``read_body``: 408, connection closed). Slow clients
  (slowloris) cannot hold connections for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from router.chat import ChatRequest
from router.config import LimitsConfig
from router.errors import BodyTooLargeError, RequestError

__all__ = [
    "RequestTimeoutError",
    "check_body_size",
    "check_items",
    "off_loop",
    "server_options",
]

T = TypeVar("T")


class RequestTimeoutError(RequestError):
    """The client did not send its body within ``limits.body_timeout_s``."""

    status = 408
    code = "request_timeout"


def check_body_size(size: int, limits: LimitsConfig) -> None:
    if size > limits.max_body_bytes:
        raise BodyTooLargeError(
            f"request body of {size} bytes exceeds the limit of {limits.max_body_bytes} "
            "bytes (limits.max_body_bytes)"
        )


def check_items(chat: ChatRequest, limits: LimitsConfig) -> None:
    """Refuse more messages (or embedding inputs) than ``limits.max_messages``."""
    field = "messages" if "messages" in chat.body else "input"
    items = chat.body.get(field)
    count = len(items) if isinstance(items, list) else 1
    if count > limits.max_messages:
        raise BodyTooLargeError(
            f"request has {count} {field}; the limit is {limits.max_messages} "
            "(limits.max_messages)",
            param=field,
            code="too_many_messages",
        )


async def off_loop(size: int, limits: LimitsConfig, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``: in a worker thread when the body is ``size`` >= offload_bytes."""
    if size < limits.offload_bytes:
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


def server_options(limits: LimitsConfig) -> dict[str, Any]:
    """aiohttp server settings (``Application(handler_args=...)``) for the time bounds."""
    return {"keepalive_timeout": limits.header_timeout_s}
