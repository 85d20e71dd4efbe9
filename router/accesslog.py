"""Structured access log: one JSON line per request, written off the request path.

The request path only appends a small dict to a bounded deque (``record``); a background
task serialises and writes batches. When the sink is slow or broken the deque drops the
oldest records and counts them, so logging can never grow memory or block a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from typing import IO, Any

import orjson

__all__ = ["AccessLog"]


class AccessLog:
    def __init__(
        self, sink: IO[bytes] | None = None, *, max_queue: int = 10_000, interval_s: float = 0.2
    ) -> None:
        self._sink = sink
        self._queue: deque[dict[str, Any]] = deque(maxlen=max_queue)
        self._interval = interval_s
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.written = 0

    def record(self, entry: dict[str, Any]) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(entry)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush()

    def flush(self) -> None:
        if not self._queue:
            return
        batch = [self._queue.popleft() for _ in range(len(self._queue))]
        data = b"".join(orjson.dumps(entry) + b"\n" for entry in batch)
        sink = self._sink if self._sink is not None else sys.stderr.buffer
        try:
            sink.write(data)
            sink.flush()
            self.written += len(batch)
        except (OSError, ValueError):
            # A broken sink loses these records but never the request.
            self.dropped += len(batch)

    async def _drain_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.flush()
