"""Which spec key a finding asks to change: the resource's spec entry (``targets.<name>``
or ``router``) joined with the field the rule names (``scaling.min``).

The entry comes from the plan's parent chain, not from names or tags: the deployment
creates one top-level component per spec target, named by the target
(``inferplane.deployment.deploy``), and one ``RouterService`` named ``router``; every
resource a component creates is parented under it. So walking a resource's parents to the
component just below the stack root gives its entry; no rule parses names."""

from __future__ import annotations

from policies.model import Resource, Stack

__all__ = ["ROUTER_ENTRY", "entry_of", "spec_path", "target_component"]

ROUTER_ENTRY = "router"
ROUTER_COMPONENT = "RouterService"


def _outermost_component(stack: Stack, urn: str) -> Resource | None:
    """The top-level component ``urn`` belongs to (itself when it is one)."""
    node = stack.by_urn.get(urn)
    top: Resource | None = None
    seen: set[str] = set()
    while node is not None and node.urn not in seen:
        seen.add(node.urn)
        if node.type.startswith("inferplane:"):
            top = node
        node = stack.by_urn.get(node.parent) if node.parent else None
    return top


def entry_of(stack: Stack, urn: str | None) -> str | None:
    """``targets.<name>`` or ``router`` for the resource ``urn``; None when it belongs to
    neither (or is unknown)."""
    if urn is None:
        return None
    top = _outermost_component(stack, urn)
    if top is None:
        return None
    if top.type.split(":")[-1] == ROUTER_COMPONENT:
        return ROUTER_ENTRY
    if stack.spec is not None and top.name not in stack.spec.targets:
        return None
    return f"targets.{top.name}"


def spec_path(stack: Stack, urn: str | None, field: str | None) -> str | None:
    """The full spec key: the resource's entry plus ``field``; ``field`` alone (from the
    spec root) for a finding that names no resource."""
    if urn is None:
        return field
    entry = entry_of(stack, urn)
    if entry is None:
        return None
    return f"{entry}.{field}" if field else entry


def target_component(stack: Stack, name: str) -> Resource | None:
    """The top-level component the deployment created for spec target ``name``."""
    for component in stack.components:
        if component.name == name and _outermost_component(stack, component.urn) is component:
            return component
    return None
