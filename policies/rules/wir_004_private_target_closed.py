"""IP-WIR-004: a target that publishes a private reach is not reachable from the internet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inferplane.policies.exposure import NETWORK_SETTING, internet_exposed
from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from inferplane.policies.wiring import has_unknown

PRIVATE_PATHS = frozenset({"vpc", "private_endpoint", "psc"})


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for component in stack.components:
        endpoint = component.properties.get("endpoint")
        reach = endpoint.get("reach") if isinstance(endpoint, Mapping) else None
        if not isinstance(reach, Mapping) or has_unknown(reach):
            continue
        if reach.get("path") not in PRIVATE_PATHS:
            continue
        for resource in stack.descendants(component.urn):
            if internet_exposed(resource):
                yield Violation(
                    f"target {component.name!r} publishes a {reach['path']!r} reach, but "
                    f"{resource.name!r} is reachable from the internet "
                    f"({NETWORK_SETTING[resource.type]} = "
                    f"{_shown(resource.properties, NETWORK_SETTING[resource.type])})",
                    resource.urn,
                )


def _shown(props: Mapping[str, object], path: str) -> str:
    from inferplane.policies.values import get

    value = get(props, path)
    return "unset" if value is None else repr(value)


RULE = StackRule(
    id="IP-WIR-004",
    name="private-target-not-internet-reachable",
    description=(
        "A target publishing a private reach (vpc, private endpoint, PSC) is closed to the "
        "internet: Azure OpenAI / ML public network access Disabled, an internal ALB, Cloud "
        "Run internal ingress, Container Apps internal ingress."
    ),
    severity=Severity.CRITICAL,
    family="wiring",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Set publicNetworkAccess Disabled (with a private endpoint), `internal: true` on "
        "the load balancer, Cloud Run ingress INTERNAL_ONLY, or Container Apps "
        "`external: false`; or publish a public reach with auth."
    ),
    check=check,
)
