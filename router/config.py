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
    "ANONYMOUS_TENANT",
    "AdminConfig",
    "Backend",
    "BreakerConfig",
    "CacheConfig",
    "ColdStartConfig",
    "DataClassConfig",
    "ExactCacheConfig",
    "KeyConfig",
    "LimitsConfig",
    "ReplicaConfig",
    "RouteConfig",
    "RouteMatch",
    "RouterConfig",
    "SecretRef",
    "SemanticCacheConfig",
    "StateConfig",
    "TargetAuth",
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


AuthScheme = Literal[
    "none", "sigv4", "azure_entra", "google_access_token", "google_id_token", "api_key"
]
"""How the router proves who it is to a target (docs/wiring.md has the table)."""

Federation = Literal["native", "google"]
"""Where the router's own identity comes from when it calls another cloud: ``native`` (the
platform's identity in the target's own cloud) or ``google`` (a Google-signed ID token of the
router's service account, exchanged for the target cloud's credentials)."""


class TargetAuth(_Model):
    """How the router authenticates to one target. Credentials are minted and refreshed by
    the router's credential provider for ``scheme``, off the request path; none is stored
    here, only where they come from.

    ========================  =====================================================
    scheme                    what the router sends
    ========================  =====================================================
    ``none``                  nothing (local upstreams; refused by policy in a stack)
    ``sigv4``                 AWS Signature V4 for ``service`` (bedrock, sagemaker,
                              lambda); with ``federation: google`` the credentials
                              come from ``sts:AssumeRoleWithWebIdentity`` on
                              ``role_arn`` with a Google ID token
    ``azure_entra``           ``Authorization: Bearer`` Entra token for ``scope``
                              (managed identity; with ``federation: google`` a
                              client-assertion exchange for ``client_id``/``tenant_id``)
    ``google_access_token``   ``Authorization: Bearer`` OAuth access token (metadata
                              server), e.g. Vertex AI
    ``google_id_token``       ``Authorization: Bearer`` ID token for ``audience``,
                              e.g. a Cloud Run service with IAM invoker auth
    ``api_key``               the key from ``secret`` in ``header``; ``authorization``
                              sends ``Bearer <key>``
    ========================  =====================================================
    """

    scheme: AuthScheme = "none"
    service: str | None = None
    """sigv4: the signing service name (``bedrock``, ``sagemaker``, ``lambda``)."""
    scope: str | None = None
    """azure_entra: token scope, e.g. ``https://cognitiveservices.azure.com/.default``."""
    audience: str | None = None
    """google_id_token: the audience, e.g. the Cloud Run service URL. sigv4 with
    ``federation: google``: the audience of the Google ID token given to STS (default
    ``sts.amazonaws.com``)."""
    secret: SecretRef | None = None
    """api_key: where the key lives."""
    header: str = "authorization"
    """api_key: the header that carries it (``authorization``, ``api-key``, ``x-api-key``).
    Left at ``authorization``, Anthropic and Azure OpenAI targets use their own key header
    (``x-api-key``, ``api-key``), the only one those APIs accept for keys."""
    federation: Federation = "native"
    role_arn: str | None = None
    """sigv4 with ``federation: google``: the AWS role to assume with web identity."""
    client_id: str | None = None
    """azure_entra: the user-assigned managed identity (client ID) to act as."""
    tenant_id: str | None = None
    """azure_entra with ``federation: google``: the Entra tenant of ``client_id``."""
    ca: SecretRef | None = None
    """PEM CA bundle that signs the target's TLS certificate (edge sites' own CA)."""

    @model_validator(mode="after")
    def _scheme_fields(self) -> TargetAuth:
        needs = _AUTH_NEEDS.get(self.scheme, ())
        if self.federation == "google":
            if self.scheme not in _FEDERATED_NEEDS:
                raise ValueError(f"federation 'google' does not apply to scheme {self.scheme!r}")
            needs += _FEDERATED_NEEDS[self.scheme]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth scheme {self.scheme!r} needs {', '.join(missing)}")
        return self


_AUTH_NEEDS: dict[str, tuple[str, ...]] = {
    "sigv4": ("service",),
    "azure_entra": ("scope",),
    "google_id_token": ("audience",),
    "api_key": ("secret",),
}
_FEDERATED_NEEDS: dict[str, tuple[str, ...]] = {
    "sigv4": ("role_arn",),
    "azure_entra": ("client_id", "tenant_id"),
}


class Timeouts(_Model):
    """Per-target timeouts in seconds."""

    connect: float = 2.0
    first_byte: float = 30.0
    total: float = 120.0


class ColdStartConfig(_Model):
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


class ReplicaConfig(_Model):
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
    order: Literal["listed", "cost"] = "listed"
    """``cost``: try the targets cheapest first by their price per 1k tokens (unknown
    prices last, ties in listed order); ``listed``: as written (``router.ordering``)."""


class DataClassConfig(_Model):
    placement: Placement
    rank: int
    """Sensitivity: higher is stricter. PII detection only ever raises the rank."""


ANONYMOUS_TENANT = "anonymous"
"""The one tenant of a router without API keys (``auth_required: false``)."""


class KeyConfig(_Model):
    """An API key, stored as ``sha256(salt + key)`` hex; compared in constant time."""

    id: str
    salt: str
    sha256: str
    data_classes: tuple[str, ...] = ()
    """Data classes this key may send; its requests default to the first one. A request
    may always raise its class (header ``x-inferplane-data-class``), and lower it only to
    a class listed here."""
    routes: tuple[str, ...] = ()
    """Route names this key may use; empty means all. A request that names a target as
    its ``model`` reaches it only if the target is on one of these routes."""
    rate_limit_rpm: int | None = None
    team: str | None = None
    """The tenant this key belongs to: keys of one team share cached answers; keys without
    a team are each their own tenant. Nothing cached is ever shared across tenants."""
    budget_usd: float | None = Field(default=None, gt=0)
    """Spend allowed per calendar month (UTC), priced from the targets' token prices
    (``router.budgets``); None: no budget of its own (its team's may still apply)."""
    expires_at: int | None = Field(default=None, ge=0)
    """Unix time after which the key is refused; None: it does not expire."""

    @property
    def tenant(self) -> str:
        """Scopes caches and cache headers; prefixed so a team and a key id never collide."""
        return f"team:{self.team}" if self.team is not None else f"key:{self.id}"


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


class BreakerConfig(_Model):
    """Circuit breaker per target: open after ``failure_threshold`` consecutive failures,
    let one probe through after ``reset_timeout_s``; a good probe closes it again."""

    failure_threshold: int = Field(default=5, ge=1)
    reset_timeout_s: float = Field(default=10.0, gt=0)


class StateConfig(_Model):
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


class AdminConfig(_Model):
    """Operator access to ``/metrics`` and to the target list of ``/readyz``: closed unless
    one of the two is configured. API keys never grant it (a tenant must not see other
    tenants' targets, traffic or cost)."""

    keys: tuple[KeyConfig, ...] = ()
    """Operator credentials (``Authorization: Bearer``), hashed like API keys; they do not
    authenticate chat requests."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """A separate listener that serves ``/metrics``, ``/readyz`` and ``/healthz`` without a
    credential (for a scraper in the pod or host network): never expose it publicly."""
    host: str = "127.0.0.1"
    """Address of the ``port`` listener."""
    api_key: SecretRef | None = None
    """The admin API's credential (``/admin/*``: keys, budgets, spend), compared in
    constant time with ``Authorization: Bearer``. None: the admin API is off."""


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
    admin: AdminConfig = AdminConfig()
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
