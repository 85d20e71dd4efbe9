"""IP-SAF-004: taggable resources carry the org's required tags."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Resource, ResourceRule, Severity

# IP-RES-001 owns the data-class tag: one missing tag gives one finding.
OWNED_ELSEWHERE = frozenset({"data-class"})


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    if not resource.taggable:
        return
    missing = [
        tag
        for tag in ctx.policy.required_tags
        if tag not in OWNED_ELSEWHERE and not resource.tags.get(tag)
    ]
    if missing:
        yield f"missing required tags: {', '.join(missing)}"


RULE = ResourceRule(
    id="IP-SAF-004",
    name="required-tags",
    description=(
        "Every taggable resource carries the org's required tags (owner, cost-center, "
        "environment; data-class is checked by IP-RES-001)."
    ),
    severity=Severity.MEDIUM,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Tag resources with `Labels.tags()` / `.gcp()` / `.kubernetes()` from components.base."
    ),
    check=check,
)
