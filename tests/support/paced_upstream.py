"""A fake OpenAI-compatible model server that streams at a fixed pace (a ``LoopbackServer``
app): the first token at once, then ``chunks`` more ``interval_s`` apart, then a usage
chunk and ``[DONE]``, so a test can tell a streamed answer (first byte early) from a
buffered one (first byte with the last). A JSON request gets the whole answer with its
usage, after as long as the stream would take.

    with PacedUpstream(chunks=20, interval_s=0.05) as upstream:
        upstream.base_url        # http://127.0.0.1:PORT/v1
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from inferplane.smoke.openai_upstream import DONE, Usage, chunk, completion, sse, usage_chunk
from inferplane.smoke.server import Call, LoopbackServer, Reply, json_reply

__all__ = ["PacedUpstream"]

ID = "chatcmpl-paced"


class PacedUpstream(LoopbackServer):
    def __init__(self, chunks: int = 20, interval_s: float = 0.05) -> None:
        self.chunks = chunks
        self.interval_s = interval_s
        super().__init__(self._answer)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def answer(self) -> str:
        return "".join(f"t{i} " for i in range(self.chunks + 1))

    def _answer(self, call: Call) -> Reply:
        body = call.json() or {}
        model = str(body.get("model", "fake"))
        if body.get("stream"):
            return Reply(200, "text/event-stream", b"", pieces=self._stream(model))
        time.sleep(self.chunks * self.interval_s)
        return json_reply(200, completion(model, self.answer, self._usage(), id_=ID))

    def _stream(self, model: str) -> Iterator[bytes]:
        for index in range(self.chunks + 1):
            if index:
                time.sleep(self.interval_s)
            yield sse(chunk(model, {"content": f"t{index} "}, id_=ID))
        yield sse(chunk(model, {}, "stop", id_=ID))
        yield sse(usage_chunk(model, self._usage(), id_=ID))
        yield DONE

    def _usage(self) -> Usage:
        return Usage(prompt=7, completion=self.chunks + 1)
