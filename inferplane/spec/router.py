"""Where the stack's router runs and how it guards itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from inferplane.spec.base import (
    KEY_VAULT_ID_PATTERN,
    KEY_VAULT_SECRET_PATTERN,
    ImageRef,
    Name,
    SpecModel,
    Unique,
)
from inferplane.spec.semantic_cache import SemanticCacheSpec

__all__ = [
    "PLATFORM_CLOUD",
    "ApiKey",
    "RouterCache",
    "RouterPlatform",
    "RouterSpec",
    "SecretLocation",
    "SecretStore",
]

RouterPlatform = Literal["lambda", "cloud_run", "container_app", "kubernetes", "edge"]
PLATFORM_CLOUD: dict[str, str] = {"lambda": "aws", "cloud_run": "gcp", "container_app": "azure"}
"""The cloud of each serverless router platform (kubernetes/edge run beside a target)."""
SCALES_OUT = frozenset(PLATFORM_CLOUD)
"""Platforms that add router instances by themselves (and where the stack can provision
the managed Redis they share)."""
RouterState = Literal["auto", "memory", "managed"]


class ApiKey(SpecModel):
    """A client key, stored as a salted SHA-256 (``inferplane router key`` makes one)."""

    id: Name
    salt: str = Field(min_length=8)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    data_classes: Unique[str] = ()
    """Data classes this key may send; its requests default to the first."""
    routes: Unique[str] = ()
    rate_limit_rpm: int | None = Field(default=None, ge=1)
    team: Name | None = None
    """The tenant the key belongs to: keys of one team share cached answers."""
    budget_usd: float | None = Field(default=None, gt=0)
    """Spend allowed per calendar month (UTC) at the targets' prices; over it: 429."""


SecretStore = Literal["env", "aws_secretsmanager", "gcp_secretmanager", "azure_keyvault", "k8s"]
GCP_SECRET_NAME = re.compile(r"^projects/([a-z0-9-]{6,30})/secrets/([A-Za-z0-9_-]{1,255})$")


class SecretLocation(SpecModel):
    """A secret the router reads at start-up with its own identity (never the value)."""

    store: SecretStore
    name: str = Field(min_length=1)
    """``env``: the variable; ``k8s``: the mounted file's path; ``aws_secretsmanager``: the
    secret's name or ARN; ``gcp_secretmanager``: ``projects/<project>/secrets/<id>`` (the
    router on Cloud Run reads its latest version); ``azure_keyvault``: the secret's name in
    ``vault_id`` (the router on Container Apps reads it)."""
    key: str | None = None
    """A field of a JSON secret to read instead of the whole value."""
    vault_id: Annotated[str, StringConstraints(pattern=KEY_VAULT_ID_PATTERN)] | None = None
    """``azure_keyvault`` only: the vault's ARM ID (an RBAC-mode vault: the router's
    identity is given ``Key Vault Secrets User`` on the one secret)."""

    @model_validator(mode="after")
    def _named_for_its_store(self) -> SecretLocation:
        if self.store == "gcp_secretmanager" and not GCP_SECRET_NAME.match(self.name):
            raise ValueError(
                f"name {self.name!r} is not allowed for store gcp_secretmanager; use "
                "projects/<project>/secrets/<id>"
            )
        if (self.store == "azure_keyvault") != (self.vault_id is not None):
            raise ValueError(
                "vault_id (the Key Vault's ARM ID) is required with store azure_keyvault "
                f"and allowed with it only (store: {self.store!r})"
            )
        if self.store == "azure_keyvault" and not re.match(KEY_VAULT_SECRET_PATTERN, self.name):
            raise ValueError(
                f"name {self.name!r} is not allowed for store azure_keyvault; use the "
                "secret's name in the vault (1-127 letters, digits, '-')"
            )
        return self

    def router_ref(self) -> dict[str, str]:
        """The router's ``SecretRef`` fields (``router.config``; ``key`` only when set): a
        Key Vault secret is ``<vault>/<secret>`` there."""
        name = self.name
        if self.vault_id is not None:
            name = f"{self.vault_id.rsplit('/', 1)[-1]}/{self.name}"
        ref = {"store": self.store, "name": name}
        return ref if self.key is None else {**ref, "key": self.key}


class RouterCache(SpecModel):
    exact: bool = True
    semantic: SemanticCacheSpec | None = None
    """The semantic cache's settings; ``true`` is the hashing embedder on every route with
    ``semantic_threshold``, ``false`` (the default) turns it off."""
    ttl_s: int = Field(default=300, ge=1, le=86_400)
    """How long exact-cache answers live."""
    semantic_threshold: float = Field(default=0.92, gt=0, le=1)
    """The threshold of ``semantic: true``."""

    @model_validator(mode="before")
    @classmethod
    def _semantic_switch(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("semantic"), bool):
            on = data["semantic"]
            threshold = data.get("semantic_threshold", 0.92)
            data = {**data, "semantic": {"threshold": threshold} if on else None}
        return data


class RouterSpec(SpecModel):
    """The router's platform, placement, auth, cache and limits."""

    platform: RouterPlatform
    region: str | None = None
    """Cloud region for lambda/cloud_run/container_app; defaults to the stack's provider region."""
    target: str | None = None
    """For ``kubernetes``/``edge``: the kubernetes or edge target to run beside. For
    ``container_app``: a container_app target whose environment the router joins (default:
    the first container_app target in the router's region, if any)."""
    image: ImageRef | None = None
    """The router's OCI image as pushed to your registry (``repo@sha256:...``), built by
    ``inferplane package router``; required on cloud_run, container_app and kubernetes."""
    public: bool = False
    """Serve without cloud-level auth (API keys still apply). Policies must allow it."""
    keys: tuple[ApiKey, ...] = ()
    cache: RouterCache = RouterCache()
    pii_detection: bool = True
    pii_data_class: str | None = None
    """Class a request is raised to when PII is found; defaults to the strictest class."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_tokens: int | None = Field(default=None, ge=1)
    replicas: int = Field(default=1, ge=1, le=1000)
    """Maximum replicas on cloud_run, container_app and kubernetes; Lambda scales with
    requests (one request per execution environment)."""
    redis: SecretLocation | None = None
    """Where the URL of a shared Redis lives. With it, keys created at run time, budgets,
    rate limits and the caches are shared by all replicas."""
    state: RouterState = "auto"
    """Without ``redis``, on Lambda, Cloud Run and Container Apps (which add instances by
    themselves) and on an EKS cluster when ``replicas`` > 1: ``auto`` and ``managed``
    provision a managed Redis in the router's network (ElastiCache Serverless,
    Memorystore, Azure Cache for Redis: ``inferplane.deployment.router_state``);
    ``memory`` keeps state per replica (refused in prod where more than one may run:
    IP-SAF-012, IP-SAF-013). On another Kubernetes cluster, name a Redis with ``redis``
    when ``replicas`` > 1 (``managed`` is refused there)."""
    admin_key: SecretLocation | None = None
    """Where the admin API's credential lives (``/admin/*``: keys, budgets, spend at run
    time); None: the admin API is off. A ``gcp_secretmanager`` (router on Cloud Run) or
    ``azure_keyvault`` (on Container Apps) secret is granted to the router's identity."""
    memory_mb: int = Field(default=512, ge=128, le=10240)
    otlp_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    """An OpenTelemetry collector's OTLP/gRPC endpoint (``https://collector:4317``): the
    router exports GenAI spans and metrics there (no prompts or answers). None: off, and
    the SDK is not even loaded (``OTEL_EXPORTER_OTLP_ENDPOINT`` can still switch it on).
    In prod, ``http://`` only to a collector on loopback (IP-SAF-014)."""

    def cloud_region(self, provider_regions: Mapping[str, str]) -> str | None:
        """The region of a serverless router: ``region``, else the stack's provider region."""
        cloud = PLATFORM_CLOUD.get(self.platform)
        return (self.region or provider_regions.get(cloud)) if cloud else None

    def managed_state(self) -> bool:
        """Whether the stack provisions the router's Redis (``state``)."""
        if self.redis is not None or self.state == "memory":
            return False
        # Provisioned where the platform is a cloud's serverless one or Kubernetes (on EKS
        # only: the hook refuses ``managed`` elsewhere); IP-SAF-012/013 check prod.
        provisions = self.platform in SCALES_OUT or self.platform == "kubernetes"
        return provisions and (self.state == "managed" or self.may_scale_out())

    def may_scale_out(self) -> bool:
        """Whether more than one replica of the router may run at once."""
        return self.replicas > 1 or self.platform in SCALES_OUT

    @model_validator(mode="after")
    def _placed(self) -> RouterSpec:
        if self.platform in ("kubernetes", "edge") and self.target is None:
            raise ValueError(f"platform {self.platform!r} needs target (the target to run beside)")
        if self.state == "managed" and self.redis is not None:
            raise ValueError("state 'managed' and redis exclude each other: pick one")
        if self.state == "managed" and self.platform not in (*SCALES_OUT, "kubernetes"):
            raise ValueError(
                f"state 'managed': no managed Redis is provisioned on platform "
                f"{self.platform!r}; name one with redis (a secret location of its URL)"
            )
        return self
