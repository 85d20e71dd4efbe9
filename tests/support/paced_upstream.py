"""A fake OpenAI-compatible model server that streams at a fixed pace, in a thread: the
first token at once, then ``chunks`` more ``interval_s`` apart, then a usage chunk and
``[DONE]``, so a test can tell a streamed answer (first byte early) from a buffered one
(first byte with the last). A JSON request gets the whole answer with its usage.

    with PacedUpstream(chunks=20, interval_s=0.05) as upstream:
        upstream.base_url        # http://127.0.0.1:PORT/v1
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from inferplane.smoke.openai_upstream import (
    DONE,
    Usage,
    chunk,
    completion,
    sse,
    usage_chunk,
)

__all__ = ["PacedUpstream"]

ID = "chatcmpl-paced"


class PacedUpstream:
    def __init__(self, chunks: int = 20, interval_s: float = 0.05) -> None:
        self.chunks = chunks
        self.interval_s = interval_s
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                model = str(body.get("model", "fake"))
                if body.get("stream"):
                    owner._stream(self, model)
                else:
                    owner._complete(self, model)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def answer(self) -> str:
        return "".join(f"t{i} " for i in range(self.chunks + 1))

    def _complete(self, handler: BaseHTTPRequestHandler, model: str) -> None:
        time.sleep(self.chunks * self.interval_s)
        payload = json.dumps(completion(model, self.answer, self._usage(), id_=ID)).encode()
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _stream(self, handler: BaseHTTPRequestHandler, model: str) -> None:
        # HTTP/1.0 without a length: the body ends when the connection closes.
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.end_headers()
        for index in range(self.chunks + 1):
            if index:
                time.sleep(self.interval_s)
            self._send(handler, sse(chunk(model, {"content": f"t{index} "}, id_=ID)))
        self._send(handler, sse(chunk(model, {}, "stop", id_=ID)))
        self._send(handler, sse(usage_chunk(model, self._usage(), id_=ID)))
        self._send(handler, DONE)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()

    def _usage(self) -> Usage:
        return Usage(prompt=7, completion=self.chunks + 1)

    def __enter__(self) -> PacedUpstream:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
