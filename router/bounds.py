"""What one request may cost the router, so one client cannot slow down the others.

- **Size**: a body over ``limits.max_body_bytes`` is a 413 (checked before it is read when
  the client sends ``Content-Length``); a request with more than ``limits.max_messages``
  messages (embeddings: inputs) is a 413 naming that limit.
- **CPU on the event loop**: a body with far more messages than allowed is refused before
  it is parsed (``precheck_items``); parsing, validating and PII-scanning a body are linear in its
  size and all run in Python or C without yielding. Bodies of ``limits.offload_bytes`` or
  more do that work in a worker thread (``off_loop``), so the loop keeps answering other
  clients meanwhile: it waits at most for the interpreter's switch interval (5 ms), not for
  the whole scan. Small bodies stay on the loop, where a thread hop would cost more than
  the work.
- **Time**: a connection must send a request's headers within ``limits.header_timeout_s``
  of opening or of its previous answer (``server_options``: aiohttp's keep-alive timer
  also runs while a request's headers are incomplete), and the body within
  ``limits.body_timeout_s`` (408, connection closed after at most ``LINGER_S`` more).
  Slow clients (slowloris) cannot hold connections for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from router.chat import ChatRequest
from router.config import LimitsConfig
from router.errors import BodyTooLargeError, RequestError

__all__ = [
    "SWITCH_INTERVAL_S",
    "RequestTimeoutError",
    "check_body_size",
    "check_items",
    "off_loop",
    "precheck_items",
    "server_options",
]

T = TypeVar("T")
LINGER_S = 1.0
SWITCH_INTERVAL_S = 0.0005
"""``sys.setswitchinterval`` of a serving process (``router.serve.run``)."""


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


def precheck_items(raw: bytes, limits: LimitsConfig) -> None:
    """Refuse a body with far too many messages before parsing it: parsing holds the
    interpreter lock in C for as long as it builds objects (25 ms for 10,000 messages),
    on a worker thread too. Every message of every chat-shaped API has a ``"role"`` key,
    so the count of that token bounds the number of messages from above; it is only a
    pre-check (``check_items`` counts exactly after parsing)."""
    if len(raw) < limits.offload_bytes:
        return
    roles = raw.count(b'"role"')
    if roles > limits.max_messages:
        raise BodyTooLargeError(
            f"request has {roles} messages ('role' keys); the limit is {limits.max_messages} "
            "(limits.max_messages)",
            param="messages",
            code="too_many_messages",
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
    # After an early answer (408, 413) aiohttp reads and drops the rest of the body so the
    # client sees the answer rather than a reset; 1 s of that is plenty for a client that
    # is sending, and bounds one that trickles.
    return {"keepalive_timeout": limits.header_timeout_s, "lingering_time": LINGER_S}
