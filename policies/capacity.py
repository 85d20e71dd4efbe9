"""Reserved capacity as rules see it: which resources are commitments, how many units
they buy, and what that capacity serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from policies.config import CommitmentPolicy
from policies.model import Resource
from policies.values import as_number, as_str, get, is_known

__all__ = [
    "AZURE_DEPLOYMENT",
    "BEDROCK_PMT",
    "CAPACITY_RESERVATION",
    "COMMITMENT_TYPES",
    "Commitment",
    "commitment_of",
]

BEDROCK_PMT = "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput"
AZURE_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
CAPACITY_RESERVATION = "aws:ec2/capacityReservation:CapacityReservation"
COMMITMENT_TYPES = frozenset({BEDROCK_PMT, AZURE_DEPLOYMENT, CAPACITY_RESERVATION})


@dataclass(frozen=True)
class Commitment:
    """Capacity bought ahead of use."""

    resource: Resource
    kind: Literal["bedrock", "azure", "reservation"]
    units: float | None
    """Model units, PTUs or instances; None when unknown (preview)."""
    term: str | None
    """Bedrock commitmentDuration, the Azure SKU, or None (reservations, no-commit)."""

    @property
    def is_term(self) -> bool:
        """A term commitment (paid for the whole term whether used or not)."""
        return self.term is not None

    def tokens_per_minute(self, policy: CommitmentPolicy) -> float | None:
        if self.units is None:
            return None
        per_unit = {
            "bedrock": policy.bedrock_tokens_per_minute_per_unit,
            "azure": policy.azure_tokens_per_minute_per_ptu,
            "reservation": policy.gpu_instance_tokens_per_minute,
        }[self.kind]
        return self.units * per_unit


def commitment_of(resource: Resource) -> Commitment | None:
    props = resource.properties
    if resource.type == BEDROCK_PMT:
        term = as_str(props.get("commitmentDuration")) or None
        return Commitment(resource, "bedrock", as_number(props.get("modelUnits")), term)
    if resource.type == AZURE_DEPLOYMENT:
        sku = get(props, "sku.name")
        # Azure compares SKU names case-insensitively; so does this check.
        if not (isinstance(sku, str) and is_known(sku) and "provisioned" in sku.lower()):
            return None
        return Commitment(resource, "azure", as_number(get(props, "sku.capacity")), sku)
    if resource.type == CAPACITY_RESERVATION:
        return Commitment(resource, "reservation", as_number(props.get("instanceCount")), None)
    return None
