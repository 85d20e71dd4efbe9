"""A small router stand-in on 127.0.0.1: answers /healthz and /v1/chat/completions the way
a test tells it to, and records what it received."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeRouter:
    health_status: int = 200
    chat_status: int = 200
    answer: str | None = "ready"
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def chat_body(self) -> bytes:
        if self.answer is None:
            return b'{"choices": []}'
        message = {"role": "assistant", "content": self.answer}
        return json.dumps({"object": "chat.completion", "choices": [{"message": message}]}).encode()


@contextmanager
def serve(router: FakeRouter) -> Iterator[FakeRouter]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self, body: bytes = b"") -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            router.received.append((self.command, self.path, headers, body))

        def do_GET(self) -> None:
            self._record()
            if self.path == "/healthz":
                self._reply(router.health_status, b'{"status":"ok"}')
            else:
                self._reply(404, b"{}")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            self._record(body)
            if self.path == "/v1/chat/completions":
                self._reply(router.chat_status, router.chat_body())
            else:
                self._reply(404, b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    router.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield router
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
