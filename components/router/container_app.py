"""The router on Azure Container Apps: in its targets' managed environment when one
exists (internal ingress reaches only apps in the same environment), else in a new one
VNet-integrated in the stack's network; each Azure target's grant becomes a role
assignment to its managed identity."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure

from inferplane.components.azure.container_app_service import (
    ContainerAppService,
    ContainerAppServiceArgs,
)
from inferplane.components.azure.network import AzureNetwork
from inferplane.components.azure.roles import assign_grant
from inferplane.components.container import Resources
from inferplane.components.router.service import RouterImageArgs, RouterService
from inferplane.components.wiring import Grant, RouterIdentity, RouterNetwork

__all__ = ["ContainerAppRouter", "ContainerAppRouterArgs"]


@dataclass(frozen=True, kw_only=True)
class ContainerAppRouterArgs(RouterImageArgs):
    """The router as a container app."""

    region: str
    """Azure region of the app."""
    managed_environment: azure.app.ManagedEnvironment | None = None
    """An existing Container Apps managed environment to join; None creates one."""
    network: AzureNetwork | None = None
    """The stack's network: a new environment is VNet-integrated in its apps subnet; a
    joined one must already be."""
    grants: Mapping[str, Sequence[pulumi.Output[Grant]]] = field(default_factory=dict)
    """Per Azure target, the grants its endpoint publishes: each becomes a role assignment
    to the router's managed identity."""
    public: bool = False
    """External ingress (API keys still apply)."""
    name_prefix: str = "router"
    """The app's name."""
    secret_environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment variables whose values are secrets (Container Apps secrets), e.g. the
    managed state's URL (``inferplane.deployment.router_state``)."""


class ContainerAppRouter(RouterService):
    """The stack's router on Azure Container Apps."""

    def __init__(
        self, name: str, args: ContainerAppRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args.check()
        super().__init__("container_app", name, args, opts)
        app = self._app(name, args)
        principal = app.principal_id.apply(_principal)
        for target, grants in sorted(args.grants.items()):
            for index, grant in enumerate(grants):
                suffix = f"-{index}" if index else ""
                assign_grant(self, f"{name}-{target}-role{suffix}", grant, principal)
        self.network = _network(app, args.network)
        self.identity = principal.apply(lambda p: [RouterIdentity(cloud="azure", principal=p)])
        self.finish(app.url)

    def _app(self, name: str, args: ContainerAppRouterArgs) -> ContainerAppService:
        network = args.network
        # A joined environment is VNet-integrated already (or not): only a new one is placed.
        placed = network is not None and args.managed_environment is None
        return ContainerAppService(
            f"{name}-app",
            ContainerAppServiceArgs(
                location=args.region,
                app_name=args.name_prefix,
                container=args.container(self.environment(args), _size(args.memory_mb)),
                secret_env=args.secret_environment,
                min_replicas=0,
                max_replicas=args.replicas,
                external=args.public,
                environment=args.managed_environment,
                infrastructure_subnet_id=network.apps_subnet_id
                if network is not None and placed
                else None,
                internal_environment=placed and not args.public,
                tags=args.labels.tags(),
            ),
            opts=self.child(),
        )


def _size(memory_mb: int) -> Resources:
    # Consumption replicas come in 0.25 vCPU steps with 2 GiB per vCPU.
    cpu = max(0.25, math.ceil(memory_mb / 1024 / 2 * 4) / 4)
    return Resources(cpu=cpu, memory_gib=cpu * 2)


def _network(
    app: ContainerAppService, network: AzureNetwork | None
) -> pulumi.Output[RouterNetwork]:
    networks = [app.environment_id] + ([network.vnet_id] if network is not None else [])
    return pulumi.Output.all(*networks).apply(
        lambda ids: RouterNetwork(
            # Container Apps egress reaches the internet unless a route table stops it.
            internet=True,
            networks=sorted(ids),
            interface_endpoints=[],
        )
    )


def _principal(principal_id: str | None) -> str:
    if not principal_id:
        raise ValueError("the router's container app has no managed identity principal")
    return principal_id
