"""IP-CAP-001: term commitments only in the environments the org allows (prod)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.capacity import AZURE_DEPLOYMENT, BEDROCK_PMT, commitment_of
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    commitment = commitment_of(resource)
    if commitment is None or not commitment.is_term:
        return
    environment = ctx.environment_of(resource)
    allowed = ctx.policy.commitments.environments
    if environment not in allowed:
        yield (
            f"{commitment.term} commitment in environment {environment or '(untagged)'!r}; "
            f"allowed only in: {', '.join(allowed)}"
        )


RULE = ResourceRule(
    id="IP-CAP-001",
    name="commitment-term-prod-only",
    description=(
        "Term commitments (Bedrock provisioned throughput with a commitment duration, "
        "Azure OpenAI Provisioned* SKUs) exist only in environments the org allows (prod)."
    ),
    severity=Severity.HIGH,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Use on-demand capacity (or provisioned throughput without a commitment term) "
        "outside prod; commit only where the traffic is."
    ),
    check=check,
    spec_field="capacity.term",
    types=frozenset({BEDROCK_PMT, AZURE_DEPLOYMENT}),
)
