"""What the engine works with: normalized resources, rules, and findings.

A *resource rule* is a pure function ``(Resource, Context) -> violations`` run on every
resource of the types it declares; a *stack rule* is ``(Stack, Context) -> violations``
run once on the whole stack. The same rule objects run offline (``inferplane check``)
and inside Pulumi CrossGuard (``policies/crossguard.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import orjson

from inferplane.residency import Location

if TYPE_CHECKING:
    from inferplane.spec import StackSpec
    from policies.config import OrgPolicy

__all__ = [
    "Context",
    "Enforcement",
    "Family",
    "Resource",
    "ResourceRule",
    "Rule",
    "Severity",
    "Stack",
    "StackRule",
    "Violation",
]

RULE_ID = re.compile(r"^IP-(RES|CAP|SAF|WIR)-\d{3}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Enforcement(StrEnum):
    """What a violation does: ``mandatory`` fails the check (exit 1, blocks ``pulumi up``),
    ``advisory`` is reported only, ``disabled`` skips the rule."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"
    DISABLED = "disabled"


Family = Literal["residency", "capacity", "safety", "wiring"]
FAMILY_PREFIX: dict[str, str] = {
    "residency": "RES",
    "capacity": "CAP",
    "safety": "SAF",
    "wiring": "WIR",
}


@dataclass(frozen=True)
class Resource:
    """One resource as every rule sees it, whether it came from an offline graph or from
    CrossGuard: properties by wire name, region and location resolved, tags flattened."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, object]
    region: str | None = None
    """Region/location as written on the resource or its provider (``[unknown]`` possible)."""
    location: Location | None = None
    """Where the resource processes or stores data; None when it cannot be resolved."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """AWS/Azure tags, GCP labels or Kubernetes labels (``inferplane.dev/`` stripped)."""
    taggable: bool = False
    """The resource type takes tags/labels (so missing tags are the program's fault)."""
    inherited_tags: bool = False
    """``tags`` were borrowed from a tagged sibling because this type takes none."""
    parent: str | None = None
    dependencies: tuple[str, ...] = ()

    @cached_property
    def properties_text(self) -> str:
        """The properties as one JSON string, for pattern searches across all values."""
        return orjson.dumps(self.properties, default=str).decode()

    @property
    def provider_package(self) -> str:
        return self.type.split(":", 1)[0]

    @cached_property
    def component_types(self) -> tuple[str, ...]:
        """Types of the resource's ancestors, outermost first, read from its URN."""
        parts = self.urn.split("::")
        if len(parts) < 4:
            return ()
        return tuple(parts[2].split("$")[:-1])

    @property
    def data_class(self) -> str | None:
        return self.tags.get("data-class")

    @property
    def residency_zone(self) -> str | None:
        return self.tags.get("residency-zone")

    @property
    def environment(self) -> str | None:
        return self.tags.get("environment")

    @property
    def target(self) -> str | None:
        """The spec target this resource belongs to (tag ``inferplane-target``)."""
        return self.tags.get("inferplane-target")

    def __str__(self) -> str:
        return f"{self.type} {self.name}"


@dataclass(frozen=True)
class Violation:
    """One problem a rule found. ``urn`` names the resource (stack rules set it)."""

    message: str
    urn: str | None = None
    spec_field: str | None = None
    """The spec key to change: relative to the spec entry the resource belongs to
    (``scaling.min`` under ``targets.<name>``), or from the spec root when the violation
    names no resource (``residency.zone``). None: the rule's ``spec_field``."""
    spec_key: str | None = None
    """The full spec key from the root, for a violation whose fix lies outside the
    resource's own entry (``default_data_class`` for a router finding); wins over
    ``spec_field``."""
    fix: str | None = None
    """What to change for this violation; None: the rule's ``remediation``."""


@dataclass
class Stack:
    """The whole stack for stack rules: every resource, indexed, plus the spec if known."""

    name: str
    resources: list[Resource]
    spec: StackSpec | None = None
    components: list[Resource] = field(default_factory=list)
    """Component resources (``inferplane:*``) with their registered outputs as
    ``properties``: the router's ``config_json``/``network``/``identity`` and each
    target's ``endpoint`` (docs/wiring.md). Resource rules never see them."""

    @cached_property
    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in (*self.components, *self.resources)}

    def descendants(self, urn: str) -> list[Resource]:
        """Custom resources whose parent chain reaches ``urn``."""
        parents = {r.urn: r.parent for r in (*self.components, *self.resources)}

        def under(node: str | None) -> bool:
            seen: set[str] = set()
            while node is not None and node not in seen:
                if node == urn:
                    return True
                seen.add(node)
                node = parents.get(node)
            return False

        return [r for r in self.resources if under(r.parent)]

    @cached_property
    def _by_type(self) -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = {}
        for resource in self.resources:
            index.setdefault(resource.type, []).append(resource)
        return index

    def of_type(self, *types: str) -> list[Resource]:
        return [r for t in types for r in self._by_type.get(t, ())]

    @property
    def environment(self) -> str | None:
        if self.spec is not None:
            return self.spec.environment
        for resource in self.resources:
            if resource.environment:
                return resource.environment
        return None


@dataclass(frozen=True)
class Context:
    """What a rule may consult besides the resource: the organisation's policy and, when
    known, the stack spec (offline always; in CrossGuard when the stack config is passed)."""

    policy: OrgPolicy
    spec: StackSpec | None = None
    spec_problem: str | None = None
    """Why the stack's spec could not be parsed (IP-SAF-009 reports it); None when it
    parsed or none was given."""
    as_of: dt.date | None = None
    """The day date rules judge by (``check --as-of``); None: today (UTC)."""

    @property
    def today(self) -> dt.date:
        return self.as_of or dt.datetime.now(dt.UTC).date()

    def environment_of(self, resource: Resource) -> str | None:
        if resource.environment:
            return resource.environment
        return self.spec.environment if self.spec is not None else None


ResourceCheck = Callable[[Resource, Context], Iterable[Violation | str]]
StackCheck = Callable[[Stack, Context], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """Metadata every rule carries; see ResourceRule and StackRule for the check."""

    id: str
    """Stable ID, ``IP-<RES|CAP|SAF|WIR>-NNN``; never reused."""
    name: str
    """kebab-case name, also the CrossGuard policy name."""
    description: str
    """One sentence: what must hold."""
    severity: Severity
    family: Family
    enforcement: Enforcement
    """Default enforcement; org policy config may override it per rule."""
    remediation: str
    spec_field: str | None = field(default=None, kw_only=True)
    """The spec key (relative to the resource's target / router entry) a violation of
    this rule usually asks to change; a violation may name another (``Violation.field``)."""

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} is not IP-<RES|CAP|SAF|WIR>-NNN")
        if not RULE_NAME.match(self.name):
            raise ValueError(f"rule {self.id}: name {self.name!r} is not kebab-case")
        if self.id.split("-")[1] != FAMILY_PREFIX[self.family]:
            raise ValueError(f"rule {self.id}: family {self.family!r} does not match its ID")

    @property
    def scope(self) -> Literal["resource", "stack"]:
        raise NotImplementedError


@dataclass(frozen=True)
class ResourceRule(Rule):
    """A rule over one resource at a time."""

    check: ResourceCheck = field(repr=False)
    types: frozenset[str] | None = None
    """Type tokens the rule looks at; None means every resource."""

    @property
    def scope(self) -> Literal["resource", "stack"]:
        return "resource"

    def applies_to(self, resource: Resource) -> bool:
        return self.types is None or resource.type in self.types

    def evaluate(self, resource: Resource, ctx: Context) -> list[Violation]:
        if not self.applies_to(resource):
            return []
        return [
            v if isinstance(v, Violation) else Violation(v, resource.urn)
            for v in self.check(resource, ctx)
        ]


@dataclass(frozen=True)
class StackRule(Rule):
    """A rule over the whole stack (graph plus spec)."""

    check: StackCheck = field(repr=False)

    @property
    def scope(self) -> Literal["resource", "stack"]:
        return "stack"

    def evaluate(self, stack: Stack, ctx: Context) -> list[Violation]:
        return list(self.check(stack, ctx))
