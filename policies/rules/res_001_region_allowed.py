"""IP-RES-001: every resource sits where its data class may be processed."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.residency import refusal


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.data_class is None:
        if resource.taggable:
            yield "no data-class tag, so its residency cannot be decided"
        return
    if resource.location is None:  # not in a cloud region (Kubernetes, edge) or unknown
        return
    reason = refusal(resource, resource.location, ctx)
    if reason is not None:
        yield f"located at {resource.location}: {reason}"


RULE = ResourceRule(
    id="IP-RES-001",
    name="resource-region-allowed-for-data-class",
    description=(
        "Every resource carries a data-class tag and sits in a region its data class "
        "may be processed in (zone regions, geography or edge sites per placement)."
    ),
    severity=Severity.CRITICAL,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Tag the resource from `Labels` (data-class, residency-zone) and move it to a region "
        "of its residency zone, or lower its data class if it never sees stricter data."
    ),
    check=check,
    spec_field="region",
)
