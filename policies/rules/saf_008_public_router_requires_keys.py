"""IP-SAF-008: a router reachable without platform-level auth requires API keys."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, Severity, Stack, StackRule, Violation
from policies.rules.saf_001_public_endpoint_auth import CLOUD_RUN_IAM, PUBLIC_MEMBERS
from policies.values import as_bool, as_str, get, strings
from policies.wiring import RouterWiring, routers

FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
CONTAINER_APP = "azure-native:app:ContainerApp"


def open_door(resource: Resource) -> str | None:
    """How ``resource`` lets a caller reach the router without platform-level auth."""
    props = resource.properties
    if resource.type == FUNCTION_URL and as_str(props.get("authorizationType")) == "NONE":
        return f"Lambda function URL {resource.name!r} has authorizationType NONE"
    if resource.type == CLOUD_RUN and as_bool(props.get("invokerIamDisabled")):
        return f"Cloud Run service {resource.name!r} has invokerIamDisabled"
    if resource.type in CLOUD_RUN_IAM:
        members = {text for key, text in strings(props) if key in ("member", "members")}
        if members & PUBLIC_MEMBERS:
            return f"{resource.name!r} grants the Cloud Run invoker to {sorted(members)}"
    if resource.type == CONTAINER_APP and as_bool(get(props, "configuration.ingress.external")):
        return f"Container App {resource.name!r} has external ingress"
    return None


def exposures(router: RouterWiring, stack: Stack) -> list[str]:
    if router.platform == "edge":
        return [f"edge router {router.name!r} answers on the site network without cloud IAM"]
    own = stack.descendants(router.component.urn)
    return [how for r in own if (how := open_door(r)) is not None]


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for router in routers(stack):
        if router.config is None or router.config.auth_required:
            continue  # unknown config (preview) or keys required
        for how in exposures(router, stack):
            yield Violation(
                f"{how}, and its RouterConfig has auth_required false: anyone who reaches "
                "it can call every target",
                router.component.urn,
            )


RULE = StackRule(
    id="IP-SAF-008",
    name="public-router-requires-keys",
    description=(
        "A router reachable without platform-level auth (Lambda URL auth NONE, Cloud Run "
        "allUsers / invoker IAM off, Container Apps external ingress, an edge site) has "
        "`auth_required: true` in its rendered RouterConfig."
    ),
    severity=Severity.CRITICAL,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Define API keys for the router (`router.keys` as secret references) so the "
        "rendered config has `auth_required: true`, or keep platform auth on (AWS_IAM "
        "URL, Cloud Run invoker IAM, internal ingress)."
    ),
    check=check,
)
