"""The wiring of a stack as the IP-WIR rules read it from the resource graph
(docs/wiring.md): each router component's rendered RouterConfig, ``network`` and
``identity`` outputs, and each target component's ``endpoint`` output (``auth``,
``reach``, ``grants``).

Values may be absent (the component does not publish them: a violation, the wiring
cannot be checked) or unknown during a preview (no violation: unknowns never fail a
rule). ``Missing`` and ``UNKNOWN`` keep the two apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import ValidationError

from inferplane.components.wiring import Reach, RouterNetwork
from inferplane.policies.model import Resource, Stack
from inferplane.policies.values import UNKNOWN, is_known
from inferplane.router.config import RouterConfig, TargetConfig

__all__ = [
    "MISSING",
    "ROUTER_TYPE",
    "Pair",
    "RouterWiring",
    "has_unknown",
    "pairs",
    "routers",
    "target_component",
]

ROUTER_TYPE = "inferplane:index:RouterService"
MISSING: Final = "[missing]"
"""A wiring value the component does not publish."""


def has_unknown(value: object) -> bool:
    """True when ``value`` is, or contains, an unknown or secret marker."""
    if isinstance(value, str):
        return not is_known(value)
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return False


@dataclass(frozen=True)
class RouterWiring:
    """One router component and what it publishes."""

    component: Resource
    config: RouterConfig | None
    """The rendered RouterConfig; None when unknown or unreadable (``problem``)."""
    problem: str | None
    network: Any
    """A ``RouterNetwork`` dict, ``MISSING`` or ``UNKNOWN``."""
    identity: Any
    """A list of ``RouterIdentity`` dicts, ``MISSING`` or ``UNKNOWN``."""

    @property
    def platform(self) -> str | None:
        value = self.component.properties.get("platform")
        return value if isinstance(value, str) and is_known(value) else None

    @property
    def name(self) -> str:
        return self.component.name

    def principals(self, cloud: str) -> list[str] | None:
        """The router's principals in ``cloud``; None when unknown."""
        if self.identity == UNKNOWN or has_unknown(self.identity):
            return None
        if not isinstance(self.identity, list):
            return []
        return [
            str(i["principal"])
            for i in self.identity
            if isinstance(i, Mapping) and i.get("cloud") == cloud and i.get("principal")
        ]


def routers(stack: Stack) -> list[RouterWiring]:
    return [_router(c) for c in stack.components if c.type == ROUTER_TYPE]


def _router(component: Resource) -> RouterWiring:
    props = component.properties
    raw = props.get("config_json")
    config: RouterConfig | None = None
    problem: str | None = None
    if not isinstance(raw, str) or not is_known(raw):
        problem = "unknown" if raw is not None else "the router publishes no config_json"
    else:
        try:
            config = RouterConfig.from_json(raw)
        except (ValidationError, ValueError) as exc:
            problem = f"config_json is not a valid RouterConfig: {str(exc).splitlines()[0]}"
    return RouterWiring(
        component,
        config,
        problem,
        _published(props, "network"),
        _published(props, "identity"),
    )


def _published(props: Mapping[str, Any], key: str) -> Any:
    value = props.get(key, MISSING)
    if isinstance(value, str) and value.startswith("{"):
        try:  # CrossGuard may hand over a JSON-encoded output
            return json.loads(value)
        except ValueError:
            return value
    return UNKNOWN if value == UNKNOWN else value


def target_component(stack: Stack, name: str) -> Resource | None:
    """The component that publishes target ``name``'s ``endpoint`` (named after it)."""
    for component in stack.components:
        if component.name == name and "endpoint" in component.properties:
            return component
    return None


@dataclass(frozen=True)
class Pair:
    """One (router, target) pair of a rendered RouterConfig."""

    router: RouterWiring
    name: str
    target: TargetConfig
    component: Resource | None
    """The target's component; None when the stack has none of that name."""

    @property
    def urn(self) -> str:
        """Where a finding about the pair points: the target's component, else the router."""
        return (self.component or self.router.component).urn

    def endpoint(self, key: str) -> Any:
        """``endpoint.<key>`` of the target: its value, ``MISSING`` or ``UNKNOWN``."""
        if self.component is None:
            return MISSING
        endpoint = self.component.properties.get("endpoint")
        if endpoint == UNKNOWN:
            return UNKNOWN
        if not isinstance(endpoint, Mapping):
            return MISSING
        value = endpoint.get(key, MISSING)
        return UNKNOWN if value == UNKNOWN else value

    def reach(self) -> Reach | None:
        """The published reach; None when missing or unknown (see ``endpoint``)."""
        value = self.endpoint("reach")
        if isinstance(value, Mapping) and not has_unknown(value) and "path" in value:
            return value  # type: ignore[return-value]
        return None

    def missing(self, key: str) -> str:
        return (
            f"target {self.name!r} publishes no `{key}` in its endpoint output, so the "
            f"wiring from router {self.router.name!r} cannot be checked"
        )


def pairs(stack: Stack) -> Iterator[Pair]:
    """Every (router, target) pair of every readable RouterConfig in the stack."""
    for router in routers(stack):
        if router.config is None:
            continue
        for name, target in sorted(router.config.targets.items()):
            yield Pair(router, name, target, target_component(stack, name))


def router_network(router: RouterWiring) -> RouterNetwork | None:
    """The router's published network; None when missing or unknown."""
    value = router.network
    if isinstance(value, Mapping) and not has_unknown(value) and "internet" in value:
        return value  # type: ignore[return-value]
    return None
