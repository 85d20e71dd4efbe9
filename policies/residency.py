"""Residency facts for rules: which zone and placement govern a resource's data class.
The decision itself is always ``inferplane.residency.placement_refusal``."""

from __future__ import annotations

from dataclasses import dataclass

from inferplane.policies.model import Context, Resource
from inferplane.residency import Location, Zone, placement_refusal

__all__ = ["ClassRule", "class_rule", "refusal"]


@dataclass(frozen=True)
class ClassRule:
    """Where data of class ``data_class`` in zone ``zone`` may be processed."""

    data_class: str
    placement: str
    zone: Zone
    multi_region: bool


def class_rule(data_class: str, zone_name: str | None, ctx: Context) -> ClassRule | str:
    """The placement rule for a data class in a zone, or why none could be found. The
    organisation's policy wins; a stack spec may add classes and zones the org lacks."""
    spec = ctx.spec
    zone_name = zone_name or (spec.residency.zone if spec is not None else None)
    zone = ctx.policy.zone(zone_name)
    if zone is None and spec is not None and spec.residency.zone == zone_name:
        zone = spec.residency.as_zone()
    if zone is None:
        known = ", ".join(sorted(ctx.policy.zones))
        return f"residency zone {zone_name!r} is not defined in the org policy (zones: {known})"
    org_class = ctx.policy.data_classes.get(data_class)
    if org_class is not None:
        return ClassRule(
            data_class, org_class.placement, org_class.zone_for(zone), org_class.allows_multi_region
        )
    if spec is not None and data_class in spec.data_classes:
        placement = spec.data_classes[data_class].placement
        return ClassRule(data_class, placement, zone, placement == "any")
    known = ", ".join(sorted(ctx.policy.data_classes))
    return f"data class {data_class!r} is not defined (classes: {known})"


def refusal(resource: Resource, location: Location, ctx: Context) -> str | None:
    """Why ``resource``'s data class may not be processed at ``location``; None if it may
    or if the resource carries no data class (IP-RES-001 reports that)."""
    if resource.data_class is None:
        return None
    rule = class_rule(resource.data_class, resource.residency_zone, ctx)
    if isinstance(rule, str):
        return rule
    reason = placement_refusal(rule.placement, location, rule.zone)
    if reason is None:
        return None
    return f"data class {rule.data_class!r} (placement {rule.placement}): {reason}"
