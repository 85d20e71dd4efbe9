"""IP-RES-003: Azure OpenAI deployment SKUs keep processing inside the zone."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.residency import Location
from inferplane.spec.regions import AZURE_REGIONS
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.residency import refusal
from policies.values import as_str, get

DEPLOYMENT = "azure-native:cognitiveservices:Deployment"


def sku_location(sku: str, region: str | None) -> Location | None:
    """Where a deployment with ``sku`` processes data: Global* anywhere, DataZone* in the
    region's geography; None for regional SKUs (IP-RES-001 judges the region)."""
    folded = sku.strip().lower()  # Azure accepts SKU names in any case
    if folded.startswith("global"):
        return Location("global", "azure")
    if folded.startswith("datazone"):
        geography = AZURE_REGIONS.get((region or "").lower().replace(" ", ""))
        return Location("geo", "azure", geography) if geography else None
    return None


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    sku = as_str(get(resource.properties, "sku.name"))
    if sku is None:
        return
    location = sku_location(sku, resource.region)
    if location is None:
        return
    reason = refusal(resource, location, ctx)
    if reason is not None:
        yield f"SKU {sku} processes data at {location}: {reason}"


RULE = ResourceRule(
    id="IP-RES-003",
    name="azure-openai-sku-residency",
    description=(
        "Azure OpenAI deployments use a SKU whose processing location the data class "
        "allows: no Global* SKU for zone or edge classes, DataZone* only in the zone's "
        "geography."
    ),
    severity=Severity.CRITICAL,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Use a Standard/ProvisionedManaged SKU (or DataZone* in the zone's geography) for "
        "targets that receive zone or edge data classes."
    ),
    check=check,
    spec_field="sku",
    types=frozenset({DEPLOYMENT}),
)
