"""The organisation's policy configuration: allowed places per data class and zone,
approved GPU instance types, commitment limits, scale caps, required tags and per-rule
enforcement. Loaded from a YAML/JSON file and validated; the defaults match the stacks
shipped in ``stacks/``.

Zones and data classes here are the organisation's authority. A stack spec declares its
own zone and classes, and IP-RES-007 checks that the spec stays inside these.

A file that weakens a critical rule (disables or downgrades it, or allows public
endpoints) is refused unless its SHA-256 is pinned in ``policies/approved-org-policies.txt``
(reviewed into the pack), so a file passed by flag or environment variable cannot
configure the pack away.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from inferplane.catalog.instances import is_accelerated
from inferplane.errors import ConfigFileError, Issue, SpecError
from inferplane.residency import Placement, Zone
from inferplane.yamlload import load_yaml
from policies.model import Enforcement

__all__ = [
    "CommitmentPolicy",
    "DataClassPolicy",
    "OrgPolicy",
    "RuleSetting",
    "ZonePolicy",
    "default_policy",
    "load_policy",
    "parse_policy",
    "pinned_hashes",
    "pydantic_issue",
    "read_document",
    "weakenings",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_clouds(regions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    for cloud in regions:
        if cloud not in CLOUDS:
            raise ValueError(f"unknown cloud {cloud!r}; allowed: {', '.join(CLOUDS)}")
    return regions


CLOUDS = ("aws", "gcp", "azure")


class ZonePolicy(_Model):
    """A residency zone: where data of a ``zone`` placement may be processed."""

    geography: str | None = None
    """Geography of geographic profiles / data zones that stay inside (us, eu, apac)."""
    regions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Allowed cloud regions per cloud (aws, gcp, azure)."""
    edge_sites: tuple[str, ...] = ()
    """On-premises sites inside the zone."""

    @field_validator("regions")
    @classmethod
    def _clouds(cls, regions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return _known_clouds(regions)

    def as_zone(self, name: str) -> Zone:
        return Zone(name, self.geography, self.regions, self.edge_sites)


class DataClassPolicy(_Model):
    """Where one data class may be processed."""

    placement: Placement
    """``any``, ``zone`` (the zone's regions, geography and edge sites) or ``edge``."""
    regions: dict[str, tuple[str, ...]] | None = None
    """Narrows the zone's regions for this class (e.g. one region only)."""
    multi_region: bool | None = None
    """May a GCP/Azure multi-region or global location hold this class? Defaults to
    yes only for placement ``any``."""

    @field_validator("regions")
    @classmethod
    def _clouds(
        cls, regions: dict[str, tuple[str, ...]] | None
    ) -> dict[str, tuple[str, ...]] | None:
        return None if regions is None else _known_clouds(regions)

    def zone_for(self, zone: Zone) -> Zone:
        if self.regions is None:
            return zone
        narrowed = {
            c: tuple(r for r in zone.regions.get(c, ()) if r in rs)
            for c, rs in self.regions.items()
        }
        return Zone(zone.name, zone.geography, narrowed, zone.edge_sites)

    @property
    def allows_multi_region(self) -> bool:
        return self.placement == "any" if self.multi_region is None else self.multi_region


class CommitmentPolicy(_Model):
    """Reserved capacity: where commitments may be made and how large."""

    environments: tuple[str, ...] = ("prod",)
    """Environments where term commitments (Bedrock terms, Azure provisioned) are allowed."""
    approval_tag: str = "capacity-approval"
    approval_pattern: str = r"^(CHG|APP)-[0-9]+$"
    """The approval tag's value must match (a change or approval reference)."""
    bedrock_terms: tuple[Literal["OneMonth", "SixMonths"], ...] = ("OneMonth", "SixMonths")
    bedrock_max_model_units: int = Field(default=4, ge=1)
    azure_max_ptu: int = Field(default=500, ge=1)
    """Largest PTU count of one Azure OpenAI provisioned deployment."""
    reservation_max_instances: int = Field(default=16, ge=1)
    """Largest instance count of one EC2 capacity reservation."""
    min_forecast_utilisation: float = Field(default=0.6, gt=0, le=1)
    """Commitments whose forecast utilisation is lower are flagged (on-demand is cheaper)."""
    bedrock_tokens_per_minute_per_unit: float = Field(default=50_000, gt=0)
    """Throughput of one Bedrock model unit (input+output tokens/min). Varies per model:
    set it from the model's provisioned-throughput page."""
    azure_tokens_per_minute_per_ptu: float = Field(default=2_500, gt=0)
    gpu_instance_tokens_per_minute: float = Field(default=60_000, gt=0)
    """Throughput one reserved GPU instance serves (engine, model and batching dependent)."""

    @field_validator("approval_pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression: {exc}") from exc
        return value


class RuleSetting(_Model):
    enforcement: Enforcement


class OrgPolicy(_Model):
    """Everything the rules take from the organisation (see docs/policies.md)."""

    version: Literal[1] = 1
    zones: dict[str, ZonePolicy]
    data_classes: dict[str, DataClassPolicy]
    required_tags: tuple[str, ...] = ("owner", "cost-center", "environment", "data-class")
    gpu_instance_patterns: tuple[str, ...] = ()
    """Extra instance/machine types (globs, case-insensitive) the org counts as
    accelerators, beyond the instance catalog (``inferplane.catalog.instances``, generated
    from EC2's DescribeInstanceTypes data); the catalog cannot be narrowed here."""
    approved_gpu_instance_types: tuple[str, ...] = (
        "g5.*", "g6.*", "g6e.*", "p4d.24xlarge", "p5.48xlarge", "inf2.*",
        "ml.g5.*", "ml.g6.*", "ml.g6e.*", "ml.inf2.*",
        "g2-standard-*", "a2-highgpu-*", "a3-highgpu-*",
        "Standard_NC*ads_A100_v4", "Standard_NC*as_T4_v3", "Standard_NC*ads_H100_v5",
    )  # fmt: skip
    """GPU types teams may deploy (globs); others need a waiver."""
    commitments: CommitmentPolicy = CommitmentPolicy()
    public_endpoints_allowed: bool = False
    """Whether a target declared ``public: true`` may really be unauthenticated."""
    max_scale: dict[str, int] = Field(default_factory=lambda: {"dev": 8, "staging": 16, "prod": 64})
    """Largest max instances/replicas per environment (``default`` for the others)."""
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    """Per-rule enforcement, by rule ID: ``{IP-SAF-005: {enforcement: advisory}}``.
    Critical rules stay mandatory unless the file's hash is pinned (module docstring)."""
    waiver_max_days: int = Field(default=90, ge=1, le=365)
    """Longest a waiver may run, counted from the day it is checked."""
    waiver_warning_days: int = Field(default=14, ge=0, le=365)
    """A waiver that expires within this many days (of ``check --as-of``) is reported
    as expiring, so it is renewed or fixed before it fails the check."""
    _zone_cache: dict[str, tuple[ZonePolicy, Zone]] = PrivateAttr(default_factory=dict)

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, rules: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        from policies.registry import rule_ids

        known = rule_ids()
        for rule_id in rules:
            if rule_id not in known:
                raise ValueError(f"unknown rule {rule_id!r}; known: {', '.join(sorted(known))}")
        return rules

    def zone(self, name: str | None) -> Zone | None:
        policy = self.zones.get(name or "")
        if policy is None or name is None:
            return None
        # Rules ask once per resource. Keyed by the ZonePolicy object itself, so a copy of
        # this model with other zones (model_copy shares the private dict) never reads a
        # stale entry.
        cached = self._zone_cache.get(name)
        if cached is None or cached[0] is not policy:
            cached = self._zone_cache[name] = (policy, policy.as_zone(name))
        return cached[1]

    def enforcement(self, rule_id: str, default: Enforcement) -> Enforcement:
        setting = self.rules.get(rule_id)
        return default if setting is None else setting.enforcement

    def is_gpu(self, instance_type: str) -> bool:
        """An accelerator type per the instance catalog (unknown types named like one
        included: fail closed), or one the org lists."""
        return is_accelerated(instance_type) or _matches(instance_type, self.gpu_instance_patterns)

    def is_approved_gpu(self, instance_type: str) -> bool:
        return _matches(instance_type, self.approved_gpu_instance_types)

    def scale_cap(self, environment: str | None) -> int:
        caps = self.max_scale
        return caps.get(environment or "", caps.get("default", max(caps.values(), default=64)))


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    """Glob match ignoring case: the vendors accept instance and size names in any case
    (Azure) or refuse the other case outright (EC2), so a case change must neither
    approve nor hide a type."""
    folded = name.strip().lower()
    return any(fnmatch.fnmatchcase(folded, p.lower()) for p in patterns)


DEFAULT_POLICY: dict[str, Any] = {
    "zones": {
        "us": {
            "geography": "us",
            "regions": {
                "aws": ["us-east-1", "us-east-2", "us-west-2"],
                "gcp": ["us-central1", "us-east1", "us-east4", "us-west1"],
                "azure": ["eastus", "eastus2", "westus3"],
            },
            "edge_sites": ["austin-lab"],
        },
        "eu": {
            "geography": "eu",
            "regions": {
                "aws": ["eu-central-1", "eu-west-1"],
                "gcp": ["europe-west4", "europe-west3", "europe-west1"],
                "azure": ["westeurope", "germanywestcentral", "swedencentral"],
            },
            "edge_sites": ["munich-plant", "augsburg-plant", "ulm-plant"],
        },
    },
    "data_classes": {
        "public": {"placement": "any"},
        "internal": {"placement": "zone"},
        "confidential": {"placement": "zone"},
        "restricted": {"placement": "edge"},
    },
}


def default_policy() -> OrgPolicy:
    """The policy the shipped stacks are written against."""
    return parse_policy(DEFAULT_POLICY, "built-in default policy")


def parse_policy(data: object, source: str, *, approved: bool = False) -> OrgPolicy:
    """The policy in ``data``; one that weakens a critical rule is refused unless
    ``approved`` (its file's hash is pinned)."""
    if not isinstance(data, Mapping):
        raise SpecError([Issue("(root)", "expected a mapping", None)], source)
    merged = {**DEFAULT_POLICY, **data}
    try:
        policy = OrgPolicy.model_validate(merged)
    except ValidationError as exc:
        raise SpecError([pydantic_issue(e) for e in exc.errors()], source) from exc
    weakened = weakenings(policy)
    if weakened and not approved:
        raise SpecError(weakened, source)
    return policy


def weakenings(policy: OrgPolicy) -> list[Issue]:
    """What in ``policy`` weakens a critical rule, as issues naming the key."""
    from policies.model import Severity
    from policies.registry import all_rules

    issues = [
        Issue(
            f"rules.{rule.id}.enforcement",
            f"{rule.id} is critical and stays mandatory unless this file's sha256 is "
            f"pinned in {PINNED_FILE.name}",
            policy.rules[rule.id].enforcement.value,
        )
        for rule in all_rules()
        if rule.severity is Severity.CRITICAL
        and rule.id in policy.rules
        and policy.rules[rule.id].enforcement is not Enforcement.MANDATORY
    ]
    if policy.public_endpoints_allowed:
        issues.append(
            Issue(
                "public_endpoints_allowed",
                "weakens critical rule IP-SAF-001; allowed only when this file's sha256 is "
                f"pinned in {PINNED_FILE.name}",
                True,
            )
        )
    return issues


PINNED_FILE = Path(__file__).with_name("approved-org-policies.txt")


def pinned_hashes(path: Path = PINNED_FILE) -> frozenset[str]:
    """SHA-256 digests (hex) of the org policy files approved to weaken critical rules."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(
        line.split()[0].lower() for line in lines if line.strip() and not line.startswith("#")
    )


def load_policy(path: Path | None) -> OrgPolicy:
    """The policy in ``path`` (YAML or JSON), or the default when None. Keys left out of
    the file take the defaults (``zones`` and ``data_classes`` as a whole)."""
    if path is None:
        return default_policy()
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_policy(
        read_document(path), str(path), approved=digest in pinned_hashes(PINNED_FILE)
    )


def read_document(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix != ".json":
        # Repeated keys are refused (with lines) and dates stay text, as in stack files.
        return load_yaml(text, str(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"{path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}"
        ) from exc


def pydantic_issue(error: Any) -> Issue:
    """A pydantic error as an Issue naming the key path, the message and the value."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    value = error.get("input")
    shown = value if isinstance(value, str | int | float | bool | dt.date) else None
    return Issue(path or "(root)", message, shown)
