"""IP-CAP-002: every commitment carries an approval reference."""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.capacity import COMMITMENT_TYPES, commitment_of
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if commitment_of(resource) is None:
        return
    policy = ctx.policy.commitments
    value = resource.tags.get(policy.approval_tag)
    if value is None:
        yield f"no {policy.approval_tag!r} tag naming the approved change"
    elif not re.fullmatch(policy.approval_pattern, value):
        yield f"{policy.approval_tag}={value!r} does not match {policy.approval_pattern!r}"


RULE = ResourceRule(
    id="IP-CAP-002",
    name="commitment-approval-tag",
    description=(
        "Every commitment (Bedrock provisioned throughput, Azure provisioned deployment, "
        "EC2 capacity reservation) is tagged capacity-approval with an approval reference."
    ),
    severity=Severity.MEDIUM,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Set `capacity.approval` on the target in the stack spec (e.g. CHG-1234); the "
        "component tags it as capacity-approval."
    ),
    check=check,
    spec_field="capacity.approval",
    types=COMMITMENT_TYPES,
)
