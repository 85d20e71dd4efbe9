"""IP-RES-007: a stack's own residency declaration stays inside the org policy."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.residency import PLACEMENT_RANK
from policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    spec = ctx.spec
    if spec is None:
        return
    residency = spec.residency
    org_zone = ctx.policy.zones.get(residency.zone)
    if org_zone is None:
        yield Violation(
            f"residency zone {residency.zone!r} is not defined in the org policy",
            spec_key="residency.zone",
        )
        return
    for cloud, regions in residency.regions.items():
        extra = sorted(set(regions) - set(org_zone.regions.get(cloud, ())))
        if extra:
            yield Violation(
                f"zone {residency.zone!r} adds {cloud} regions the org does not allow: "
                f"{', '.join(extra)}",
                spec_key=f"residency.regions.{cloud}",
            )
    extra_sites = sorted(set(residency.edge_sites) - set(org_zone.edge_sites))
    if extra_sites:
        yield Violation(
            f"zone {residency.zone!r} adds edge sites the org does not list: "
            f"{', '.join(extra_sites)}",
            spec_key="residency.edge_sites",
        )
    geography = residency.effective_geography
    if org_zone.geography and geography and geography != org_zone.geography:
        yield Violation(
            f"zone {residency.zone!r} has geography {geography!r}, "
            f"the org's is {org_zone.geography!r}",
            spec_key="residency.geography",
        )
    for name, data_class in spec.data_classes.items():
        org_class = ctx.policy.data_classes.get(name)
        if org_class is None:
            # An undefined class would otherwise escape every placement check: renaming
            # ``internal`` to ``internal-x`` must not make a stack clean.
            yield Violation(
                f"data class {name!r} is not defined in the org policy; defined: "
                f"{', '.join(sorted(ctx.policy.data_classes))}",
                spec_key=f"data_classes.{name}",
            )
        elif PLACEMENT_RANK[data_class.placement] < PLACEMENT_RANK[org_class.placement]:
            yield Violation(
                f"data class {name!r} has placement {data_class.placement!r}, weaker than the "
                f"org's {org_class.placement!r}",
                spec_key=f"data_classes.{name}.placement",
            )


RULE = StackRule(
    id="IP-RES-007",
    name="stack-residency-within-org-policy",
    description=(
        "The stack spec's residency zone, regions, edge sites and data-class placements "
        "are no wider than the organisation's policy for that zone, and every data class "
        "it uses is one the organisation defines."
    ),
    severity=Severity.HIGH,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Remove the extra regions/sites from `residency` and use the org's data-class "
        "names in the stack spec, or ask the data-protection owner to add them to the org "
        "policy file."
    ),
    check=check,
)
