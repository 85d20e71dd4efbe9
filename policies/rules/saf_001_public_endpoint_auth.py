"""IP-SAF-001: no unauthenticated public inference endpoints unless declared and allowed."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, ResourceRule, Severity
from policies.values import as_bool, as_str, get, strings

FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
CLOUD_RUN_IAM = frozenset(
    {
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
        "gcp:cloudrun/iamMember:IamMember",
        "gcp:cloudrun/iamBinding:IamBinding",
    }
)


def exposure(resource: Resource) -> str | None:
    """How the resource lets anyone in, or None."""
    props = resource.properties
    if resource.type == FUNCTION_URL:
        if as_str(props.get("authorizationType")) == "NONE":
            return "Lambda function URL with authorizationType NONE"
    elif resource.type in CLOUD_RUN_IAM:
        members = {text for key, text in strings(props) if key in ("member", "members")}
        if members & PUBLIC_MEMBERS:
            return f"Cloud Run invoker granted to {', '.join(sorted(members & PUBLIC_MEMBERS))}"
    elif resource.type == CLOUD_RUN:
        if as_bool(props.get("invokerIamDisabled")):
            return "Cloud Run service with invokerIamDisabled"
    elif resource.type.startswith("azure-native:"):
        # Entra-only (keys disabled) is authenticated: every call carries a token of a
        # principal holding a role on the resource (network_access: public_entra_only).
        if as_bool(get(props, "properties.disableLocalAuth")):
            return None
        for path in ("properties.publicNetworkAccess", "publicNetworkAccess"):
            if as_str(get(props, path)) == "Enabled":
                return f"Azure {path} Enabled"
    return None


def declared_public(resource: Resource, ctx: Context) -> bool:
    spec = ctx.spec
    if spec is None:
        return False
    if resource.target in spec.targets:
        return spec.target(resource.target).public
    if any(t.split(":")[-1].lower().startswith("router") for t in resource.component_types):
        return spec.router.public
    return False


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    how = exposure(resource)
    if how is None:
        return
    if not declared_public(resource, ctx):
        yield f"{how}, but its target is not declared public"
    elif not ctx.policy.public_endpoints_allowed:
        yield f"{how}: declared public, but the org policy does not allow public endpoints"


RULE = ResourceRule(
    id="IP-SAF-001",
    name="no-unauthenticated-public-endpoint",
    description=(
        "Inference endpoints require authentication (no Lambda URL auth NONE, Cloud Run "
        "allUsers, Azure public network access) unless the target is declared public and "
        "the org allows public endpoints."
    ),
    severity=Severity.CRITICAL,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Use AWS_IAM function URLs, name invoker service accounts, disable public network "
        "access (private endpoints); or set `public: true` on the target with org approval."
    ),
    check=check,
)
