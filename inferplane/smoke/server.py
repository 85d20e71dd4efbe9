"""A loopback HTTP(S) server in a thread that hands each request to a plain function
``app(Call) -> Reply`` (the shape of httpx's MockTransport, over a real socket): the one
transport the fakes of the smoke harness and of the tests are served with
(``openai_upstream.OpenAIUpstream`` is the OpenAI-compatible upstream). A reply may
carry its body as pieces instead: each is sent as it comes (chunked), for paced streams.

``Running`` is the with-block lifecycle of every fake server (this one, the gRPC OTLP
collector of the tests): started on entry, stopped on exit."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["App", "Call", "LoopbackServer", "Reply", "Running", "json_reply"]


@dataclass(frozen=True)
class Call:
    """One HTTP request a fake received."""

    method: str
    target: str
    """The request target as sent: path and query, still percent-encoded."""
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    pieces: Iterable[bytes] | None = None
    """Instead of ``body`` (then empty): the body's pieces, each written and flushed as the
    iterable yields it (``Transfer-Encoding: chunked``), so a fake can pace a stream."""


def json_reply(status: int, body: object) -> Reply:
    """A JSON answer."""
    return Reply(status, "application/json", json.dumps(body).encode())


App = Callable[[Call], Reply]


class Running:
    """A server that runs for a with-block: ``start`` on entry, ``stop`` on exit."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class LoopbackServer(Running):
    """``with LoopbackServer(app) as server: server.url`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, app: App, tls: ssl.SSLContext | None = None) -> None:
        self.app = app
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    reply = owner.app(Call(self.command, self.path, headers, body))
                except Exception as exc:  # a fake's bug must show, not hang the router
                    reply = Reply(500, "text/plain", f"fake failed: {exc!r}".encode())
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.pieces is None:
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for piece in reply.pieces:
                    if piece:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{scheme}://{self.host}"
        # A short poll: stopping waits for it, and test runs stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        if self._thread.ident is None:  # a server may start before its with-block
            self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
