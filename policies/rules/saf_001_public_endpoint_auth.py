"""IP-SAF-001: no unauthenticated public inference endpoints unless declared and allowed."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity, Violation
from policies.public import CLOUD_RUN_IAM as PUBLIC_CLOUD_RUN_IAM
from policies.public import PUBLIC_MEMBERS, public_access

__all__ = ["CLOUD_RUN_IAM", "PUBLIC_MEMBERS", "RULE", "declared_public", "exposure"]

CLOUD_RUN_IAM = PUBLIC_CLOUD_RUN_IAM  # re-exported for older imports
exposure = public_access
"""How the resource lets anyone in, or None (``policies.public``)."""


def declared_public(resource: Resource, ctx: Context) -> bool:
    spec = ctx.spec
    if spec is None:
        return False
    if resource.target in spec.targets:
        return spec.target(resource.target).public
    if any(t.split(":")[-1].lower().startswith("router") for t in resource.component_types):
        return spec.router.public
    return False


def check(resource: Resource, ctx: Context) -> Iterator[Violation]:
    how = public_access(resource)
    if how is None:
        return
    if not declared_public(resource, ctx):
        yield Violation(
            f"{how}, but its target is not declared public",
            resource.urn,
            fix="keep it private (the component's defaults: IAM auth, internal ingress, no "
            "public grant), or declare it: `public: true` with the org's approval",
        )
    elif not ctx.policy.public_endpoints_allowed:
        yield Violation(
            f"{how}: declared public, but the org policy does not allow public endpoints",
            resource.urn,
            fix="remove `public: true`, or have the org policy allow public endpoints "
            "(`public_endpoints_allowed: true`)",
        )


RULE = ResourceRule(
    id="IP-SAF-001",
    name="no-unauthenticated-public-endpoint",
    description=(
        "Inference endpoints and routers require authentication (no Lambda URL auth NONE "
        "or public Lambda permission, no Cloud Run allUsers through any IAM member, binding "
        "or policy, no Container Apps external ingress without an allow-list, no Azure "
        "public network access with keys) unless the target is declared public and the org "
        "allows public endpoints."
    ),
    severity=Severity.CRITICAL,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Use AWS_IAM function URLs, name invoker service accounts, disable public network "
        "access (private endpoints); or set `public: true` on the target with org approval."
    ),
    check=check,
    spec_field="public",
)
