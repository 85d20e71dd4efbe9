"""RouterConfig: everything the router needs at run time, as one JSON document.

Rendered by ``inferplane`` from the stack spec plus the deployed targets' outputs, shipped
with the router (environment variable ``INFERPLANE_ROUTER_CONFIG`` or a file), and visible
in the Pulumi resource graph so that policies can check the routing table.

Residency is decided when the config is rendered: each target lists the data classes it may
receive (``allowed_data_classes``). The router enforces that list at run time, so a data
class never reaches a target outside its allowed placement, not even as a fallback.

Secrets never appear here: API keys are stored as salted hashes and upstream credentials as
references (``SecretRef``) to a secret store.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Backend",
    "BreakerConfig",
    "CacheConfig",
    "DataClassConfig",
    "ExactCacheConfig",
    "KeyConfig",
    "LimitsConfig",
    "RouteConfig",
    "RouteMatch",
    "RouterConfig",
    "SecretRef",
    "SemanticCacheConfig",
    "StateConfig",
    "TargetConfig",
    "Timeouts",
]

Backend = Literal[
    "openai", "lambda_url", "azure_openai", "bedrock", "sagemaker", "vertex", "anthropic"
]
Tier = Literal["simple", "moderate", "complex"]
Placement = Literal["any", "zone", "edge"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """Where a secret lives; the router resolves it at start-up with its own identity."""

    store: Literal["env", "aws_secretsmanager", "gcp_secretmanager", "azure_keyvault", "k8s"]
    name: str
    key: str | None = None


class Timeouts(_Model):
    """Per-target timeouts in seconds."""

    connect: float = 2.0
    first_byte: float = 30.0
    total: float = 120.0


class TargetConfig(_Model):
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
    credentials: SecretRef | None = None
    timeouts: Timeouts = Timeouts()
    max_retries: int = Field(default=1, ge=0, le=5)
    input_cost_per_1k: float | None = None
    output_cost_per_1k: float | None = None
    latency_ms_p50: float | None = None
    """Expected latency, used to skip targets that cannot meet a request's budget."""
    api_version: str | None = None
    """API version query parameter (Azure OpenAI ``api-version``, Anthropic version header)."""


class RouteMatch(_Model):
    """All given fields must match; an empty match matches every request."""

    data_class: str | None = None
    latency_ms_max: int | None = None
    tier: Tier | None = None
    alias: str | None = None


class RouteConfig(_Model):
    """An ordered routing rule: the first matching route decides the target list."""

    name: str
    match: RouteMatch = RouteMatch()
    targets: tuple[str, ...]
    max_tokens: int | None = None


class DataClassConfig(_Model):
    placement: Placement
    rank: int
    """Sensitivity: higher is stricter. PII detection only ever raises the rank."""


class KeyConfig(_Model):
    """An API key, stored as ``sha256(salt + key)`` hex; compared in constant time."""

    id: str
    salt: str
    sha256: str
    data_classes: tuple[str, ...] = ()
    """Data classes this key may send; its requests default to the first one."""
    routes: tuple[str, ...] = ()
    """Route names this key may use; empty means all."""
    rate_limit_rpm: int | None = None


class ExactCacheConfig(_Model):
    enabled: bool = True
    ttl_s: int = 300
    max_entries: int = 10_000


class SemanticCacheConfig(_Model):
    enabled: bool = False
    threshold: float = Field(default=0.92, gt=0, le=1)
    max_entries: int = 10_000
    embedder: str = "hashing"


class CacheConfig(_Model):
    exact: ExactCacheConfig = ExactCacheConfig()
    semantic: SemanticCacheConfig = SemanticCacheConfig()


class LimitsConfig(_Model):
    max_body_bytes: int = 1_048_576
    max_tokens: int | None = None
    """Cap applied to every request's max_tokens (routes may cap lower)."""
    blocking_threads: int = Field(default=16, ge=1, le=256)
    """Size of the thread pool that runs blocking SDK calls (boto3) off the event loop."""


class BreakerConfig(_Model):
    """Circuit breaker per target: open after ``failure_threshold`` consecutive failures,
    let one probe through after ``reset_timeout_s``; a good probe closes it again."""

    failure_threshold: int = Field(default=5, ge=1)
    reset_timeout_s: float = Field(default=10.0, gt=0)


class StateConfig(_Model):
    """Where rate limits and the exact cache live: in-process, or a shared Redis."""

    backend: Literal["memory", "redis"] = "memory"
    url: SecretRef | None = None


class RouterConfig(_Model):
    """The whole routing table and policy of one stack's router."""

    version: Literal[1] = 1
    stack: str
    environment: str
    default_data_class: str
    data_classes: dict[str, DataClassConfig]
    targets: dict[str, TargetConfig]
    routes: tuple[RouteConfig, ...]
    keys: tuple[KeyConfig, ...] = ()
    auth_required: bool = True
    cache: CacheConfig = CacheConfig()
    limits: LimitsConfig = LimitsConfig()
    state: StateConfig = StateConfig()
    breaker: BreakerConfig = BreakerConfig()
    access_log: bool = True
    """Write one structured JSON line per request to stderr (off the request path)."""
    refused_data_classes: dict[str, str] = Field(default_factory=dict)
    """Data classes this router must not handle where it runs, with the reason (shown to
    the client). A request of such a class is refused before any target is considered."""
    pii_data_class: str | None = None
    """Data class a request is raised to when its prompt carries PII (None: detection off)."""

    @model_validator(mode="after")
    def _references_exist(self) -> RouterConfig:
        classes = set(self.data_classes)
        if self.default_data_class not in classes:
            raise ValueError(f"default_data_class {self.default_data_class!r} is not a data class")
        if self.pii_data_class is not None and self.pii_data_class not in classes:
            raise ValueError(f"pii_data_class {self.pii_data_class!r} is not a data class")
        for route in self.routes:
            for target_name in route.targets:
                if target_name not in self.targets:
                    raise ValueError(f"route {route.name!r} names unknown target {target_name!r}")
        for name, target in self.targets.items():
            unknown = set(target.allowed_data_classes) - classes
            if unknown:
                raise ValueError(f"target {name!r} allows unknown data classes {sorted(unknown)}")
        return self

    def to_json(self) -> str:
        """Deterministic and compact (defaults left out, restored by from_json): it travels
        in a Lambda environment variable, where all variables share 4 KB."""
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> RouterConfig:
        return cls.model_validate_json(text)
