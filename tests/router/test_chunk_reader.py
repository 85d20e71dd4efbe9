"""``router.api.chunks.ChatBlocks``: how the translated APIs read the core's chat stream,
block by block, whatever the blocks' cut (one event, several, a partial one)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from inferplane.router.api.chunks import ChatBlocks
from inferplane.router.sse import error_event


class Recorder:
    """A ChunkWriter that writes down what it was handed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        self.calls.append(("chunk", chunk["n"]))
        return b"c%d;" % chunk["n"]

    def failed(self, message: str) -> bytes:
        self.calls.append(("failed", message))
        return b"f;"

    def finish(self) -> bytes:
        self.calls.append(("finish", None))
        return b"d;"


def _chunk(n: int) -> bytes:
    return b"data: " + orjson.dumps({"n": n, "choices": []}) + b"\n\n"


STREAM = _chunk(1) + _chunk(2) + _chunk(3) + b"data: [DONE]\n\n"


@pytest.mark.parametrize("cut", [1, 5, 17, 40, 80, len(STREAM)])
def test_every_cut_of_the_stream_hands_the_same_events_in_order(cut: int) -> None:
    writer = Recorder()
    reader = ChatBlocks(writer)
    written = b"".join(reader.feed(STREAM[i : i + cut]) for i in range(0, len(STREAM), cut))
    assert writer.calls == [("chunk", 1), ("chunk", 2), ("chunk", 3), ("finish", None)]
    assert written == b"c1;c2;c3;d;"


def test_the_cores_error_event_and_an_error_chunk_are_failures() -> None:
    writer = Recorder()
    reader = ChatBlocks(writer)
    reader.feed(_chunk(1))
    reader.feed(b'data: {"error":{"message":"boom"}}\n\n')
    reader.feed(error_event("target 't' failed after the stream started", "upstream_error", "x"))
    assert writer.calls == [
        ("chunk", 1),
        ("failed", "boom"),
        ("failed", "target 't' failed after the stream started"),
    ]


def test_comments_and_garbage_are_skipped() -> None:
    writer = Recorder()
    reader = ChatBlocks(writer)
    assert reader.feed(b": keep-alive\n\ndata: {not json\n\ndata: [1]\n\n") == b""
    assert writer.calls == []


def _relayed(stream: bytes, cut: int, include_usage: bool) -> tuple[bytes, tuple[int, int]]:
    import asyncio

    from inferplane.router.backends import Usage
    from inferplane.router.backends.openai_compat import relay_openai_stream

    async def source() -> Any:
        for i in range(0, len(stream), cut):
            yield stream[i : i + cut]

    async def run() -> tuple[bytes, tuple[int, int]]:
        usage = Usage()
        blocks = [b async for b in relay_openai_stream(source(), usage, include_usage, "t")]
        assert all(block.endswith(b"\n\n") for block in blocks)
        return b"".join(blocks), (usage.prompt_tokens, usage.completion_tokens)

    return asyncio.run(run())


USAGE = b'data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}\n\n'


@pytest.mark.parametrize("cut", [1, 7, 60, 1000])
@pytest.mark.parametrize("include_usage", [True, False])
def test_the_openai_relay_reads_usage_at_every_cut(cut: int, include_usage: bool) -> None:
    body = _chunk(1) + _chunk(2) + USAGE + b"data: [DONE]\n\n"
    relayed, usage = _relayed(body, cut, include_usage)
    assert usage == (4, 2)
    assert relayed == (body if include_usage else body.replace(USAGE, b""))
