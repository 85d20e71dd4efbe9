"""``TargetConfig``: one model deployment the router may call, with its timeouts,
scale-to-zero behaviour, replicas and circuit breaker settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .auth import TargetAuth
from .base import Model

__all__ = [
    "Backend",
    "BreakerConfig",
    "ColdStartConfig",
    "ReplicaConfig",
    "TargetConfig",
    "Timeouts",
]

Backend = Literal[
    "openai", "lambda_url", "azure_openai", "bedrock", "sagemaker", "vertex", "anthropic"
]


class Timeouts(Model):
    """Per-target timeouts in seconds."""

    connect: float = 2.0
    first_byte: float = 30.0
    total: float = 120.0


class ColdStartConfig(Model):
    """A target that scales to zero (KEDA ``minReplicaCount: 0``, a GPU fleet at min 0,
    Cloud Run or Container Apps at min 0): its first request may find no replica. The
    router then waits for the first byte within the request's latency budget, or falls
    back to the next target when the budget cannot cover the expected warm-up
    (``router/cold.py``). Its timeouts must leave room for ``max_wait_s``."""

    warm_s: float = Field(default=120.0, gt=0, le=3600)
    """Expected seconds from zero replicas to the first answer (scheduling, image pull,
    weight loading): a request whose budget ends sooner falls back at once."""
    max_wait_s: float = Field(default=600.0, gt=0, le=3600)
    """Longest wait for a request without a budget; a target still failing this long after
    it was found cold is ``down``, no longer ``cold``."""
    idle_s: float = Field(default=300.0, gt=0)
    """Seconds without an answer after which the target is presumed scaled to zero again
    (the platform's scale-down delay, e.g. KEDA ``cooldownPeriod``)."""
    poll_s: float = Field(default=1.0, gt=0, le=60)
    """Pause between tries while it warms (a 503's ``Retry-After`` may lengthen it)."""


class ReplicaConfig(Model):
    """The replicas of a self-hosted, OpenAI-compatible target that the router addresses
    one by one (``router/replicas.py``): a fixed list, or the A records of a headless
    Kubernetes Service. Without any replica known, requests go to the target's ``url``."""

    urls: tuple[str, ...] = ()
    """Base URLs of the replicas, up to and including ``/v1``."""
    dns: str | None = Field(default=None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
    """Headless Service name (``<svc>.<ns>.svc.cluster.local``) whose A records are the
    replicas; resolved every ``refresh_s``."""
    port: int = Field(default=8000, ge=1, le=65535)
    """Port of the replicas found by ``dns``."""
    path: str = Field(default="/v1", pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    """Base path of the replicas found by ``dns``."""
    refresh_s: float = Field(default=10.0, gt=0, le=3600)
    policy: Literal["prefix", "round_robin"] = "prefix"
    """``prefix``: requests sharing a long prefix go to the replica that served it (its KV
    cache holds the prefix), within ``load_factor``; ``round_robin``: in turn."""
    block_chars: int = Field(default=128, ge=16, le=65536)
    """The prefix is matched in blocks of this many characters of the prompt."""
    load_factor: float = Field(default=1.25, ge=1.0, le=10.0)
    """A replica takes a request only while its requests in flight stay within
    ``load_factor`` x the mean (consistent hashing with bounded loads); else the least
    loaded replica takes it."""
    max_blocks: int = Field(default=200_000, ge=1, le=10_000_000)
    """Prefix blocks remembered over all replicas (least recently used dropped first)."""

    @model_validator(mode="after")
    def _one_source(self) -> ReplicaConfig:
        if bool(self.urls) == (self.dns is not None):
            raise ValueError("replicas: give either urls or dns (one of them)")
        bad = [u for u in self.urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"replicas.urls {bad}: allowed: http:// or https:// base URLs")
        return self


class TargetConfig(Model):
    """One model deployment the router may call."""

    backend: Backend
    model: str
    """Model ID sent upstream (OpenAI `model`, Bedrock modelId/profile, Vertex model...)."""
    url: str | None = None
    """Base URL for HTTP backends (OpenAI-compatible, Azure OpenAI, Vertex, Anthropic)."""
    endpoint_name: str | None = None
    """SageMaker endpoint name."""
    region: str | None = None
    """Cloud region (AWS/GCP/Azure); None for edge targets."""
    location: str
    """Where data is processed: ``cloud:<cloud>:<region>``, ``geo:<cloud>:<geo>``,
    ``global:<cloud>`` or ``edge:<site>``."""
    allowed_data_classes: tuple[str, ...]
    auth: TargetAuth = TargetAuth()
    """How the router authenticates to this target."""
    timeouts: Timeouts = Timeouts()
    max_retries: int = Field(default=1, ge=0, le=5)
    input_cost_per_1k: float | None = None
    output_cost_per_1k: float | None = None
    latency_ms_p50: float | None = None
    """Expected latency, used to skip targets that cannot meet a request's budget."""
    api_version: str | None = None
    """API version query parameter (Azure OpenAI ``api-version``, Anthropic version header)."""
    context_window: int | None = Field(default=None, ge=1)
    """Tokens the model takes per request, prompt and answer together (the engine's
    ``--max-model-len``, a managed model's published window); None: unknown, never
    skipped for size (``router.window``)."""
    url_fetch: Literal["private", "public"] = "private"
    """Where the target fetches the media URLs of a request (``image_url`` and the like) on
    the caller's behalf: ``public``: a provider's API on the internet (Azure OpenAI,
    Anthropic, OpenAI), so they pass; ``private``: a server in the deployment's own network
    (vLLM, TGI... on a GPU fleet, Kubernetes, an edge site, Cloud Run, Container Apps),
    where a URL could reach internal services and the cloud's metadata endpoint, so a
    request naming one is a 400 (``router.fetch``). Unknown is ``private``."""
    cold: ColdStartConfig | None = None
    """Set when the target scales to zero (``backend: openai`` only)."""
    replicas: ReplicaConfig | None = None
    """Set to address the replicas one by one (``backend: openai`` only)."""

    @model_validator(mode="after")
    def _self_hosted_only(self) -> TargetConfig:
        for field_name in ("cold", "replicas"):
            if getattr(self, field_name) is not None and self.backend != "openai":
                raise ValueError(
                    f"{field_name} applies to backend 'openai' only (self-hosted servers), "
                    f"not {self.backend!r}"
                )
        cold = self.cold
        shortest = min(self.timeouts.first_byte, self.timeouts.total)
        if cold is not None and shortest < cold.max_wait_s:
            raise ValueError(
                f"timeouts first_byte {self.timeouts.first_byte} / total {self.timeouts.total}"
                f" must leave room for cold.max_wait_s {cold.max_wait_s} (the router waits "
                "that long for a cold target within them); allowed: both >= max_wait_s"
            )
        return self

    @classmethod
    def cold_timeouts(cls, cold: ColdStartConfig) -> Timeouts:
        """The default timeouts plus the longest cold wait."""
        base = Timeouts()
        return Timeouts(
            connect=base.connect,
            first_byte=base.first_byte + cold.max_wait_s,
            total=base.total + cold.max_wait_s,
        )


class BreakerConfig(Model):
    """Circuit breaker per target: open after ``failure_threshold`` consecutive failures,
    let one probe through after ``reset_timeout_s``; a good probe closes it again."""

    failure_threshold: int = Field(default=5, ge=1)
    reset_timeout_s: float = Field(default=10.0, gt=0)
