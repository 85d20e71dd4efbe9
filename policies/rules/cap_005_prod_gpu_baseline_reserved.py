"""IP-CAP-005: a prod GPU fleet's baseline runs on reserved capacity."""

from __future__ import annotations

from collections.abc import Iterator

from policies.capacity import CAPACITY_RESERVATION
from policies.model import Context, Enforcement, Resource, Severity, Stack, StackRule, Violation
from policies.spot import on_demand_baseline
from policies.values import as_number, as_str, get, strings

GROUP = "aws:autoscaling/group:Group"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TEMPLATE_REFS = (
    "launchTemplate.id",
    "launchTemplate.name",
    "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId",
    "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateName",
)


def _identifiers(resource: Resource) -> set[str]:
    """What other resources may call this one: URN, name, physical name, mock/real ID."""
    ids = {resource.urn, resource.name, f"{resource.name}-id"}
    for key in ("name", "id"):
        value = as_str(resource.properties.get(key))
        if value:
            ids.add(value)
    return ids


def index(resources: list[Resource]) -> dict[str, Resource]:
    """Resources by every identifier another resource may use for them."""
    return {i: r for r in resources for i in _identifiers(r)}


def launch_templates(group: Resource, templates: dict[str, Resource]) -> list[Resource]:
    refs = {as_str(get(group.properties, p)) for p in TEMPLATE_REFS}
    refs.update(group.dependencies)
    found = {templates[ref].urn: templates[ref] for ref in refs if ref in templates}
    return list(found.values())


def instance_types(group: Resource, templates: list[Resource]) -> set[str]:
    types = {t for lt in templates if (t := as_str(lt.properties.get("instanceType")))}
    overrides = get(group.properties, "mixedInstancesPolicy.launchTemplate.overrides")
    types.update(text for key, text in strings(overrides) if key == "instanceType")
    return types


def reservation_ids(group: Resource, templates: list[Resource]) -> set[str] | None:
    """Reservations the fleet targets; None when it targets none."""
    targets = [get(group.properties, "capacityReservationSpecification.capacityReservationTarget")]
    targets += [
        get(lt.properties, "capacityReservationSpecification.capacityReservationTarget")
        for lt in templates
    ]
    ids = {text for target in targets for _k, text in strings(target)}
    return ids or None


def coverage(ids: set[str], created: dict[str, Resource]) -> float | None:
    """Instances reserved by the targeted reservations created in this stack; None when
    a target is external (an existing reservation: its size cannot be read offline)."""
    total = 0.0
    for rid in ids:
        reservation = created.get(rid)
        if reservation is None:
            return None
        count = as_number(reservation.properties.get("instanceCount"))
        if count is None:
            return None
        total += count
    return total


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    templates = index(stack.of_type(LAUNCH_TEMPLATE))
    reservations = index(stack.of_type(CAPACITY_RESERVATION))
    for group in stack.of_type(GROUP):
        if (group.environment or stack.environment) != "prod":
            continue
        baseline = as_number(group.properties.get("minSize"))
        if not baseline:
            continue
        used = launch_templates(group, templates)
        gpu = sorted(t for t in instance_types(group, used) if ctx.policy.is_gpu(t))
        if not gpu:
            continue
        # Spot is never a baseline (and never uses a reservation): only the on-demand
        # part of minSize needs reserving.
        on_demand = on_demand_baseline(group)
        if on_demand == 0:
            yield Violation(
                f"prod GPU fleet ({', '.join(gpu)}) has a baseline of {baseline:g} instances,"
                " all on spot: nothing of it is guaranteed",
                group.urn,
            )
            continue
        needed = baseline if on_demand is None else on_demand
        ids = reservation_ids(group, used)
        if ids is None:
            yield Violation(
                f"prod GPU fleet ({', '.join(gpu)}) has an on-demand baseline of {needed:g}"
                " instances and targets no capacity reservation",
                group.urn,
            )
            continue
        reserved = coverage(ids, reservations)
        if reserved is not None and reserved < needed:
            yield Violation(
                f"reservations cover {reserved:g} of the on-demand baseline's {needed:g} instances",
                group.urn,
            )


RULE = StackRule(
    id="IP-CAP-005",
    name="prod-gpu-baseline-reserved",
    description=(
        "A prod GPU fleet's baseline (ASG minSize) has an on-demand part (spot is never a "
        "baseline) and targets capacity reservations that cover that part, so scale-out "
        "after a failure cannot hit InsufficientInstanceCapacity."
    ),
    severity=Severity.MEDIUM,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Set `capacity: {mode: reserved, reservation_ids: [...]}` on the gpu_fleet target "
        "(capacityReservationSpecification on its launch template) and `spot.on_demand_base` "
        "to at least 1, or record a waiver."
    ),
    check=check,
)
