"""How the router itself runs: caches, per-request bounds and the shared state store."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Model, SecretRef
from .semantic import SemanticCacheConfig

__all__ = [
    "CacheConfig",
    "ExactCacheConfig",
    "LimitsConfig",
    "SemanticCacheConfig",
    "StateConfig",
]


class ExactCacheConfig(Model):
    enabled: bool = True
    ttl_s: int = 300
    max_entries: int = 10_000


class CacheConfig(Model):
    exact: ExactCacheConfig = ExactCacheConfig()
    semantic: SemanticCacheConfig = SemanticCacheConfig()


class LimitsConfig(Model):
    """Bounds on what one request may cost the router (``router.bounds``)."""

    max_body_bytes: int = 1_048_576
    max_messages: int = Field(default=2048, ge=1)
    """Messages of a chat request (inputs of an embeddings request) above which it is
    refused with a 413 naming this limit."""
    offload_bytes: int = Field(default=65_536, ge=0)
    """Bodies at least this large are parsed and scanned in a worker thread, so one big
    request does not stall the event loop for everyone else."""
    header_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    """A connection must deliver a request's headers within this many seconds of opening
    (or of its previous answer): slow clients cannot hold connections open."""
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """A request body must arrive within this many seconds; else 408 and the connection
    is closed."""
    max_tokens: int | None = None
    """Cap applied to every request's max_tokens (routes may cap lower)."""
    stream_write_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """A streamed answer's block must be accepted by the client within this many seconds;
    a client that stops reading is cut off and its upstream stream closed."""
    blocking_threads: int = Field(default=16, ge=1, le=256)
    """Size of the thread pool that runs blocking SDK calls (boto3) off the event loop."""
    anonymous_rpm_per_client: int | None = Field(default=600, ge=1)
    """Without API keys (``auth_required: false``): requests per minute per client address
    (the TCP peer: behind a load balancer, per balancer node). None: no per-client limit."""
    anonymous_rpm: int | None = Field(default=None, ge=1)
    """Without API keys: requests per minute across all clients. None: no global limit."""


class StateConfig(Model):
    """Where rate limits and the exact cache live: in-process, or a shared Redis."""

    backend: Literal["memory", "redis"] = "memory"
    url: SecretRef | None = None
    ca: SecretRef | None = None
    """PEM CA that signs the store's TLS certificate when it is not a public CA's
    (Memorystore with transit encryption); None: the system trust store."""
    timeout_s: float = Field(default=0.25, gt=0, le=10)
    """Connect and read timeout of one Redis call; a slower store counts as down."""
    retry_s: float = Field(default=2.0, gt=0)
    """While Redis is down, try it again at most this often (requests in between skip it)."""
    degraded_share: float = Field(default=0.25, gt=0, le=1)
    """While Redis is down, each replica enforces this share of every rate limit in process
    (rounded up): 100/min becomes 25/min per replica, so up to 1/share replicas together
    stay within the limit. Caches are skipped meanwhile."""
