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

from pydantic import Field, model_validator

from .access import ANONYMOUS_TENANT, AdminConfig, KeyConfig
from .auth import TargetAuth
from .base import Model, SecretRef
from .routes import DataClassConfig, RouteConfig, RouteMatch
from .semantic import reference_errors
from .service import (
    CacheConfig,
    ExactCacheConfig,
    LimitsConfig,
    SemanticCacheConfig,
    StateConfig,
)
from .targets import (
    Backend,
    BreakerConfig,
    ColdStartConfig,
    ReplicaConfig,
    TargetConfig,
    Timeouts,
)
from .telemetry import TelemetryConfig

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
    "TelemetryConfig",
    "Timeouts",
]


class RouterConfig(Model):
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
    telemetry: TelemetryConfig = TelemetryConfig()
    """OpenTelemetry export (GenAI conventions): off unless an OTLP endpoint is set."""

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
        routes = {route.name for route in self.routes}
        for error in reference_errors(self.cache.semantic, self.targets, routes):
            raise ValueError(error)
        return self

    def to_json(self) -> str:
        """Deterministic and compact (defaults left out, restored by from_json): it travels
        in a Lambda environment variable, where all variables share 4 KB."""
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> RouterConfig:
        return cls.model_validate_json(text)
