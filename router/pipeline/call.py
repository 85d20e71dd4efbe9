"""``Call``: one admitted request on its way through the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..chat import ChatRequest
from ..classify import Classification
from ..config import KeyConfig
from ..decide import Decision
from .wire import CACHE_HEADER

__all__ = ["Call"]


@dataclass(slots=True)
class Call:
    """One routed request on its way through the router (chat, or another API translated
    to a chat body; embeddings and legacy completions carry their own body)."""

    chat: ChatRequest
    key: KeyConfig | None
    classification: Classification
    decision: Decision
    body: dict[str, Any]
    started: float
    request_id: str
    tenant: str
    cache_key: str | None = None
    semantic_space: str | None = None
    vector: Any = None
    use_cache: bool = True
    """False when the client sent ``x-inferplane-cache: off``."""
    upstream_started: float = 0.0
    """When the answering attempt's upstream call began (``inferplane_upstream_seconds``
    runs from here, not from the request's start)."""
    first_token_at: float = 0.0
    """When a streamed answer's first block arrived (0: not streamed); for telemetry."""
    trace: Any = None
    """The request's ``router.otel_trace.ServerTrace`` (None: telemetry off)."""

    def headers(self, target: str, content_type: str, cache: str) -> dict[str, str]:
        """The headers of an answer: who answered, by which route, for which data class."""
        return {
            "content-type": content_type,
            "x-inferplane-target": target,
            "x-inferplane-route": self.decision.route.name,
            "x-inferplane-data-class": self.classification.data_class,
            CACHE_HEADER: cache,
        }
