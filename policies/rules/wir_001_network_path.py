"""IP-WIR-001: the router has a network path to every target it routes to."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.components.wiring import RouterNetwork, unreachable_reason
from inferplane.policies.exposure import internet_exposed
from inferplane.policies.model import (
    Context,
    Enforcement,
    Resource,
    Severity,
    Stack,
    StackRule,
    Violation,
)
from inferplane.policies.values import UNKNOWN, as_str, get
from inferplane.policies.wiring import MISSING, Pair, RouterWiring, pairs, router_network, routers

LAMBDA_FUNCTION = "aws:lambda/function:Function"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
# What an Azure private endpoint connects to for each Azure target (its
# privateLinkServiceId names the account or workspace).
PRIVATE_LINK_TARGETS = frozenset(
    {"azure-native:cognitiveservices:Account", "azure-native:machinelearningservices:Workspace"}
)


def backed_network(router: RouterWiring, stack: Stack) -> tuple[RouterNetwork | None, str | None]:
    """The router's published network, with the networks its own workload does not
    really join removed (a Lambda without ``vpcConfig``, a Cloud Run service without VPC
    egress), and why, if any were."""
    network = router_network(router)
    if network is None or not network["networks"]:
        return network, None
    own = stack.descendants(router.component.urn)
    for resource in own:
        if resource.type == LAMBDA_FUNCTION:
            subnets = get(resource.properties, "vpcConfig.subnetIds")
            if subnets != UNKNOWN and not subnets:
                return _outside(network), f"its Lambda function {resource.name!r} has no vpcConfig"
        if resource.type == CLOUD_RUN:
            access = get(resource.properties, "template.vpcAccess")
            if access != UNKNOWN and not access:
                return _outside(
                    network
                ), f"its Cloud Run service {resource.name!r} has no VPC egress"
    return network, None


def _outside(network: RouterNetwork) -> RouterNetwork:
    edge = [n for n in network["networks"] if n.startswith("edge:")]
    return RouterNetwork(internet=True, networks=edge, interface_endpoints=[])


def reach_contradiction(pair: Pair, stack: Stack) -> str | None:
    """Why the target's own resources contradict the reach it publishes, if they do."""
    reach = pair.reach()
    if reach is None or pair.component is None:
        return None
    own = stack.descendants(pair.component.urn)
    if reach["path"] == "public":
        closed = [r for r in own if internet_exposed(r) is False]
        if closed:
            return (
                f"target {pair.name!r} publishes a public reach, but {closed[0].name!r} is not "
                "reachable from the internet (public access off / internal only)"
            )
    if reach["path"] in ("private_endpoint", "psc") and pair.component.type.startswith(
        "inferplane:azure:"
    ):
        endpoints = [r for r in stack.resources if r.type == PRIVATE_ENDPOINT]
        if not any(_connects(e, own) for e in endpoints):
            return (
                f"target {pair.name!r} publishes a private-endpoint reach, but no private "
                "endpoint in the stack connects to it"
            )
    return None


def _connects(endpoint: Resource, own: list[Resource]) -> bool:
    text = endpoint.properties_text
    if UNKNOWN in text:
        return True  # preview: the linked resource ID is not known yet
    linked = [r for r in own if r.type in PRIVATE_LINK_TARGETS]
    names = [as_str(r.properties.get(k)) for r in linked for k in ("accountName", "workspaceName")]
    names += [r.name for r in linked]
    return any(n and n in text for n in names)


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for router in routers(stack):
        if router.config is not None and router.network == MISSING:
            yield Violation(
                f"router {router.name!r} publishes no `network` output; its paths to "
                "targets cannot be checked",
                router.component.urn,
            )
    for pair in pairs(stack):
        network, unbacked = backed_network(pair.router, stack)
        reach = pair.endpoint("reach")
        if reach == MISSING:
            yield Violation(pair.missing("reach"), pair.urn)
            continue
        contradiction = reach_contradiction(pair, stack)
        if contradiction:
            yield Violation(contradiction, pair.urn)
            continue
        target_reach = pair.reach()
        if network is None or target_reach is None:
            continue  # unknown during preview (or the router's own finding above)
        reason = unreachable_reason(network, target_reach)
        if reason:
            why = f" ({unbacked})" if unbacked else ""
            yield Violation(
                f"router {pair.router.name!r} cannot reach target {pair.name!r}: {reason}{why}",
                pair.urn,
            )


RULE = StackRule(
    id="IP-WIR-001",
    name="router-reaches-every-target",
    description=(
        "For every (router, target) pair of the rendered RouterConfig the router's network "
        "(internet egress, VPC/VNet, interface endpoints) reaches the target's published "
        "reach, and the target's resources match the reach it publishes."
    ),
    severity=Severity.CRITICAL,
    family="wiring",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Place the router where it reaches the target (Lambda vpcConfig in the target's "
        "VPC, Cloud Run Direct VPC egress, a VNet-integrated Container Apps environment), "
        "add a private endpoint / interface endpoint, or expose the target publicly with auth."
    ),
    check=check,
)
