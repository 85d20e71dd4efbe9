"""A deterministic small embedder: a loopback ``/v1/embeddings`` (OpenAI-compatible) that
maps each known sentence to a fixed vector and counts every call, so a test can say which
texts left the router to be embedded."""

from __future__ import annotations

import threading

from inferplane.smoke.server import LoopbackServer
from inferplane.smoke.wire import Call, Reply, json_reply

__all__ = ["MEANINGS", "FakeEmbedder"]

# Two sentences of one meaning share a direction but (nearly) no words; the hashing
# embedder cannot tell they mean the same, an embedding model can.
PASSWORD = "How do I reset my password?"
PASSWORD_PARAPHRASE = "I forgot my login credentials, what now"
HOLIDAYS = "How many vacation days do employees get per year?"
MEANINGS: dict[str, list[float]] = {
    PASSWORD: [0.9, 0.1, 0.0, 0.0, 0.4, 0.0, 0.1, 0.0],
    PASSWORD_PARAPHRASE: [0.88, 0.14, 0.0, 0.02, 0.41, 0.0, 0.08, 0.0],
    HOLIDAYS: [0.0, 0.1, 0.9, 0.3, 0.0, 0.2, 0.0, 0.1],
}


class FakeEmbedder:
    """``with FakeEmbedder() as fake: fake.url`` (base URL up to ``/v1``); ``fake.inputs``
    holds every text it was asked to embed, in order. An unknown sentence is a 400 (a test
    that sends one is wrong, not lucky)."""

    def __init__(self, vectors: dict[str, list[float]] | None = None) -> None:
        self.vectors = dict(MEANINGS if vectors is None else vectors)
        self.inputs: list[str] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._app)
        self.url = f"{self._server.url}/v1"

    def _app(self, call: Call) -> Reply:
        body = call.json()
        if call.method != "POST" or call.path != "/v1/embeddings" or not isinstance(body, dict):
            return json_reply(404, {"error": {"message": f"no route {call.path}"}})
        texts = [body["input"]] if isinstance(body["input"], str) else list(body["input"])
        with self._lock:
            self.inputs.extend(texts)
        unknown = [t for t in texts if t not in self.vectors]
        if unknown:
            return json_reply(400, {"error": {"message": f"unknown sentences {unknown}"}})
        data = [
            {"object": "embedding", "index": i, "embedding": self.vectors[t]}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}
        answer = {"object": "list", "data": data, "model": body["model"], "usage": usage}
        return json_reply(200, answer)

    def __enter__(self) -> FakeEmbedder:
        self._server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(None, None, None)
