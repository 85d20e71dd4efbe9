"""Wiring: how a router reaches and calls a target, as data (docs/wiring.md).

Every target component publishes, in its ``endpoint`` output, beside the URL:

- ``auth``   how a caller authenticates (``router.config.TargetAuth`` as a dict),
- ``reach``  how it is reached on the network (``Reach``),
- ``grants`` what the caller's identity must be granted (``Grant`` list).

The router component publishes where it sits and who it is (``RouterNetwork``,
``RouterIdentity``) as its ``network`` and ``identity`` outputs. The router component
creates the grants for its identity; the wiring rules (``policies/rules/wir_*``) read
both sides from the resource graph and check every (router, target) pair with
``unreachable_reason`` below, the one definition of "has a network path".

Pure data and functions: no Pulumi import, so the router renderer, the components and the
policies share it.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "Grant",
    "Path",
    "Reach",
    "RouterIdentity",
    "RouterNetwork",
    "unreachable_reason",
]

Path = Literal["public", "cloud_api", "vpc", "private_endpoint", "psc", "edge"]
"""How a target is reached:

- ``public``            a URL on the internet (auth still applies)
- ``cloud_api``         a cloud provider API host (bedrock-runtime, sagemaker-runtime, a
                        Lambda function URL): the internet, or an interface endpoint for
                        ``service`` in the caller's network
- ``vpc``               only from inside ``network`` (an internal ALB, internal Cloud Run
                        ingress, an internal Container Apps environment)
- ``private_endpoint``  a private endpoint / PSC address in ``network`` (Azure private
                        endpoint + private DNS zone, Vertex PSC); public access is off
- ``psc``               alias of ``private_endpoint`` for Google Private Service Connect
- ``edge``              an edge site, over the path the site declares (``via``)
"""


class Reach(TypedDict):
    """How a target is reached on the network."""

    path: Path
    network: NotRequired[str]
    """vpc / private_endpoint / psc: the network it lives in (VPC ID, VNet ID, GCP network
    name); the caller must sit in the same network."""
    service: NotRequired[str]
    """cloud_api: the interface endpoint service name (``bedrock-runtime``,
    ``sagemaker.runtime``, ``lambda``) that reaches it from a network without internet."""
    via: NotRequired[Literal["internet", "tunnel", "lan"]]
    """edge: how clouds reach the site (internet with key + TLS, a named tunnel, or only
    the site's LAN)."""


class Grant(TypedDict):
    """What the caller's identity must be granted to call a target."""

    cloud: Literal["aws", "azure", "gcp"]
    actions: list[str]
    """AWS: IAM actions; Azure: one role definition name (the built-in role's GUID, e.g.
    ``5e0bd9bd-...`` for Cognitive Services OpenAI User); GCP: one role (``roles/...``)."""
    resources: list[str]
    """AWS: exact ARNs; Azure: the scope (resource ID); GCP: the resource name."""
    condition: NotRequired[dict[str, dict[str, str]]]
    """AWS only: an IAM condition block (e.g. ``lambda:InvokedViaFunctionUrl``)."""


class RouterNetwork(TypedDict):
    """Where the router sits, as the wiring rules see it."""

    internet: bool
    """The router can open connections to the internet (public egress or NAT)."""
    networks: list[str]
    """Networks it sits inside (VPC ID, VNet ID, GCP network name, ``edge:<site>``)."""
    interface_endpoints: list[str]
    """Cloud API services reachable privately from its network (``bedrock-runtime``...)."""


class RouterIdentity(TypedDict):
    """Who the router is in each cloud it calls."""

    cloud: Literal["aws", "azure", "gcp", "edge"]
    principal: str
    """Role ARN, managed identity principal ID, service account email, or edge key ID."""


def unreachable_reason(router: RouterNetwork, reach: Reach) -> str | None:
    """Why a router at ``router`` cannot open a connection to a target at ``reach``, or None
    when it can."""
    path = reach["path"]
    if path == "public":
        return (
            None
            if router["internet"]
            else "the target is on the internet and the router has no internet egress"
        )
    if path == "cloud_api":
        service = reach.get("service", "")
        if router["internet"] or service in router["interface_endpoints"]:
            return None
        return (
            f"no internet egress and no interface endpoint for {service!r} in the router's network"
        )
    if path == "edge":
        via = reach.get("via", "lan")
        if via == "internet":
            return (
                None
                if router["internet"]
                else "the edge site is on the internet and the router has no internet egress"
            )
        if f"edge:{reach.get('network', '')}" in router["networks"]:
            return None
        return f"the edge site is reached only via its {via}, which the router is not on"
    network = reach.get("network", "")
    if network and network in router["networks"]:
        return None
    return f"the target is reachable only inside network {network!r}; the router is not in it"
