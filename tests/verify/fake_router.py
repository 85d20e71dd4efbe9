"""A small router stand-in on 127.0.0.1: answers /healthz and /v1/chat/completions the way
a test tells it to, and records what it received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from inferplane.smoke.server import Call, LoopbackServer, Reply


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

    def __call__(self, call: Call) -> Reply:
        self.received.append((call.method, call.target, call.headers, call.body))
        if (call.method, call.target) == ("GET", "/healthz"):
            return Reply(self.health_status, "application/json", b'{"status":"ok"}')
        if (call.method, call.target) == ("POST", "/v1/chat/completions"):
            return Reply(self.chat_status, "application/json", self.chat_body())
        return Reply(404, "application/json", b"{}")


@contextmanager
def serve(router: FakeRouter) -> Iterator[FakeRouter]:
    with LoopbackServer(router) as server:
        router.url = server.url
        yield router
