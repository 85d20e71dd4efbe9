"""IP-SAF-008: a router reachable without platform-level auth requires API keys."""

from __future__ import annotations

from collections.abc import Iterator

from policies.model import Context, Enforcement, Resource, Severity, Stack, StackRule, Violation
from policies.public import public_access
from policies.wiring import RouterWiring, routers


def open_door(resource: Resource) -> str | None:
    """How ``resource`` lets a caller reach the router without platform-level auth
    (``policies.public``: every way at once)."""
    how = public_access(resource)
    return None if how is None else f"{resource.name!r}: {how}"


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
