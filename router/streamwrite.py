"""Writing a streamed answer to the client, each block within a deadline.

A client that stops reading (but keeps the connection open) would otherwise hold the
upstream stream, its connection and the target's generation for as long as the TCP
buffers take to fill and then forever. Each block must be accepted within
``limits.stream_write_timeout_s``; else the connection is aborted, the upstream stream
closed, and ``inferplane_stream_write_timeouts_total`` counts it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .core import Gateway, Response

__all__ = ["write_stream"]

logger = logging.getLogger("inferplane.router")

_FRAMING = 8192
"""Bytes a write may add besides the block: chunk framing, the response head when it goes
out with the first block."""


async def write_stream(
    request: web.Request, response: Response, core: Gateway
) -> web.StreamResponse:
    """Relay ``response.stream`` to the client; always closes the stream."""
    assert response.stream is not None
    out = web.StreamResponse(status=response.status, headers=response.headers)
    deadline = core.config.limits.stream_write_timeout_s
    transport = request.transport
    low, high = transport.get_write_buffer_limits() if transport is not None else (-1, -1)
    try:
        await out.prepare(request)
        async for block in response.stream:
            # A write waits only while the transport is paused: its buffer went over the
            # high-water mark and has not drained to the low one. A block written when the
            # buffer is at most the low mark (not paused) and that keeps it under the high
            # one (will not pause) cannot wait: no timer for it (one per block otherwise).
            size = transport.get_write_buffer_size() if transport is not None else high
            if size <= low and size + len(block) + _FRAMING <= high:
                await out.write(block)
                continue
            try:
                async with asyncio.timeout(deadline):
                    await out.write(block)
            except TimeoutError:
                core.accounting.ops.stream_write_timeouts += 1
                logger.warning(
                    "request %s: the client did not read the stream for %s s "
                    "(limits.stream_write_timeout_s): connection closed",
                    response.headers.get("x-request-id", "-"),
                    deadline,
                )
                if request.transport is not None:
                    request.transport.abort()
                return out
        await out.write_eof()
    finally:
        await response.stream.aclose()  # type: ignore[attr-defined]
    return out
