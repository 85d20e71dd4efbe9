"""IP-CAP-003: commitments stay within the org's size and term limits."""

from __future__ import annotations

from collections.abc import Iterator

from policies.capacity import COMMITMENT_TYPES, commitment_of
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    commitment = commitment_of(resource)
    if commitment is None:
        return
    policy = ctx.policy.commitments
    limit, what = {
        "bedrock": (policy.bedrock_max_model_units, "model units"),
        "azure": (policy.azure_max_ptu, "PTUs"),
        "reservation": (policy.reservation_max_instances, "instances"),
    }[commitment.kind]
    if commitment.units is not None and commitment.units > limit:
        yield f"{commitment.units:g} {what}, above the limit of {limit}"
    if (
        commitment.kind == "bedrock"
        and commitment.term
        and commitment.term not in policy.bedrock_terms
    ):
        allowed = ", ".join(policy.bedrock_terms)
        yield f"commitment term {commitment.term!r} is not allowed ({allowed})"


RULE = ResourceRule(
    id="IP-CAP-003",
    name="commitment-within-limits",
    description=(
        "Commitments stay within the org's limits: Bedrock model units and terms, Azure "
        "PTUs per deployment, instances per capacity reservation."
    ),
    severity=Severity.HIGH,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Reduce `capacity.units` (or the term), or get the limit raised in the org "
        "policy's `commitments` section."
    ),
    check=check,
    spec_field="capacity.units",
    types=COMMITMENT_TYPES,
)
