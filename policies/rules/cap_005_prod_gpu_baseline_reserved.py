"""IP-CAP-005: a prod GPU fleet's baseline runs on reserved capacity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from inferplane.catalog.instances import instance_facts
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


@dataclass(frozen=True)
class Baseline:
    """The instances a group keeps running, and the spec field that sets the largest part."""

    steady: float
    """min or desired, whichever is larger: what the group itself keeps running."""
    running_pool: float
    """Warm-pool instances kept running (always on demand)."""
    field: str
    """The spec key that sets the larger of min and desired."""
    detail: str

    @property
    def instances(self) -> float:
        return self.steady + self.running_pool


def baseline_of(group: Resource) -> Baseline | None:
    """What the group runs without any scaling signal: the larger of its minimum and its
    desired capacity (the ASG launches ``desired`` at once and keeps it until a policy
    scales in), plus a warm pool kept *running* (those instances hold capacity too). None
    when none of it is known."""
    props = group.properties
    minimum = as_number(props.get("minSize"))
    desired = as_number(props.get("desiredCapacity"))
    running_pool = 0.0
    if (as_str(get(props, "warmPool.poolState")) or "").lower() == "running":
        running_pool = as_number(get(props, "warmPool.minSize")) or 0.0
    if minimum is None and desired is None:
        return None
    parts = [f"min {minimum or 0:g}"]
    field = "scaling.min"
    steady = minimum or 0.0
    if desired is not None:
        parts.append(f"desired {desired:g}")
        if desired > steady:
            steady, field = desired, "scaling.desired"
    if running_pool:
        parts.append(f"running warm pool {running_pool:g}")
    return Baseline(steady, running_pool, field, ", ".join(parts))


def accelerated_types(types: set[str], ctx: Context) -> tuple[list[str], list[str]]:
    """The accelerator types among ``types`` (per the instance catalog, case-insensitive),
    and which of them the catalog does not know but treats as accelerators."""
    accelerated = sorted(t for t in types if ctx.policy.is_gpu(t))
    unknown = [t for t in accelerated if instance_facts(t).accelerated is None]
    return accelerated, unknown


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    templates = index(stack.of_type(LAUNCH_TEMPLATE))
    reservations = index(stack.of_type(CAPACITY_RESERVATION))
    for group in stack.of_type(GROUP):
        if (group.environment or stack.environment or "").lower() != "prod":
            continue
        baseline = baseline_of(group)
        if baseline is None or not baseline.instances:
            continue
        used = launch_templates(group, templates)
        gpu, unknown = accelerated_types(instance_types(group, used), ctx)
        if not gpu:
            continue
        note = (
            f" ({', '.join(unknown)} not in the instance catalog; treated as accelerators)"
            if unknown
            else ""
        )
        fleet = f"prod GPU fleet ({', '.join(gpu)})"
        # Spot is never a baseline (and never uses a reservation): only the on-demand part
        # of the running baseline needs reserving (policies/spot.py); a running warm pool
        # is on demand (warm pools take no spot).
        on_demand = on_demand_baseline(group, baseline.steady)
        if on_demand == 0 and not baseline.running_pool:
            yield Violation(
                f"{fleet} keeps {baseline.instances:g} instances running ({baseline.detail}), "
                f"all on spot: nothing of it is guaranteed{note}",
                group.urn,
                spec_field="spot.on_demand_base",
                fix="set `spot.on_demand_base` to at least 1 and reserve that part "
                "(`capacity: {mode: reserved, ...}`)",
            )
            continue
        needed = baseline.instances if on_demand is None else on_demand + baseline.running_pool
        spot_part = "" if needed == baseline.instances else f", {needed:g} on demand"
        ids = reservation_ids(group, used)
        if ids is None:
            yield Violation(
                f"{fleet} keeps {baseline.instances:g} instances running ({baseline.detail}"
                f"{spot_part}) and targets no capacity reservation{note}",
                group.urn,
                spec_field="capacity",
                fix="reserve the on-demand baseline: `capacity: {mode: reserved, units: N, "
                "approval: CHG-...}` (or `reservation_ids: [cr-...]`) on this target, or lower "
                f"`{baseline.field}` to 0",
            )
            continue
        reserved = coverage(ids, reservations)
        if reserved is not None and reserved < needed:
            yield Violation(
                f"reservations cover {reserved:g} of the {needed:g} on-demand instances the "
                f"fleet keeps running ({baseline.detail}{spot_part}){note}",
                group.urn,
                spec_field="capacity.units",
                fix=f"raise `capacity.units` to at least {needed:g}, or lower `{baseline.field}`",
            )


RULE = StackRule(
    id="IP-CAP-005",
    name="prod-gpu-baseline-reserved",
    description=(
        "A prod GPU fleet's running baseline (the larger of the ASG's minSize and "
        "desiredCapacity, plus a running warm pool) has an on-demand part (spot is never a "
        "baseline) and targets capacity reservations that cover that part, so replacing "
        "instances after a failure cannot hit InsufficientInstanceCapacity (GPU-ness from "
        "the instance catalog built from EC2 DescribeInstanceTypes data)."
    ),
    severity=Severity.MEDIUM,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Set `capacity: {mode: reserved, reservation_ids: [...]}` (or `units`) on the "
        "gpu_fleet target (capacityReservationSpecification on its launch template) and "
        "`spot.on_demand_base` to at least 1, or record a waiver."
    ),
    check=check,
    spec_field="capacity",
)
