"""IP-RES-004: GCP and Azure locations are on the org allowlist; multi-region locations
only for classes that allow them."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from inferplane.policies.residency import class_rule


def allowed_regions(cloud: str, ctx: Context) -> set[str]:
    return {r for zone in ctx.policy.zones.values() for r in zone.regions.get(cloud, ())}


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    location = resource.location
    if location is None or location.cloud not in ("gcp", "azure"):
        return
    if location.kind == "cloud":
        allowed = allowed_regions(location.cloud, ctx)
        if location.region not in allowed:
            shown = ", ".join(sorted(allowed)) or "none"
            yield (
                f"{location.cloud} location {location.region!r} is not on the org "
                f"allowlist ({shown})"
            )
        return
    if resource.data_class is None:
        yield f"multi-region location {location} on a resource without a data class"
        return
    rule = class_rule(resource.data_class, resource.residency_zone, ctx)
    if not isinstance(rule, str) and not rule.multi_region:
        yield (
            f"multi-region location {location} holds data class {resource.data_class!r}, "
            "which must stay in single regions"
        )


RULE = ResourceRule(
    id="IP-RES-004",
    name="cloud-location-allowlisted",
    description=(
        "Vertex, Cloud Run, Azure and other GCP/Azure resources use a location on the org "
        "allowlist, and multi-region or global locations only for data classes that "
        "allow them."
    ),
    severity=Severity.HIGH,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Pick a single region listed under the org policy's zones (e.g. europe-west4, "
        "westeurope); add a region to the policy only with the data-protection owner."
    ),
    check=check,
)
