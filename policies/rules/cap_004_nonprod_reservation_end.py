"""IP-CAP-004: capacity reservations outside prod end on a date."""

from __future__ import annotations

from collections.abc import Iterator

from policies.capacity import CAPACITY_RESERVATION
from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.values import as_str, is_known


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if ctx.environment_of(resource) == "prod":
        return
    end_type = resource.properties.get("endDateType")
    end_date = resource.properties.get("endDate")
    if not (is_known(end_type) and is_known(end_date)):
        return  # computed during preview
    if as_str(end_type) != "limited" or not as_str(end_date):
        environment = ctx.environment_of(resource) or "(untagged)"
        yield (
            f"open-ended reservation in environment {environment!r}: "
            "set endDateType 'limited' and an endDate"
        )


RULE = ResourceRule(
    id="IP-CAP-004",
    name="nonprod-reservation-end-date",
    description=(
        "EC2 capacity reservations outside prod have endDateType 'limited' and an end date."
    ),
    severity=Severity.MEDIUM,
    family="capacity",
    enforcement=Enforcement.MANDATORY,
    remediation="Set `capacity.end_date` on the target in the stack spec.",
    check=check,
    spec_field="capacity.end_date",
    types=frozenset({CAPACITY_RESERVATION}),
)
