"""The router on Cloud Run: its own service account (named by the deployment, so other
clouds' federation can trust it first), an IAM member per GCP target grant, and Direct
VPC egress into the stack's network when a target is reached only inside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from inferplane.components.container import Resources
from inferplane.components.gcp.cloud_run_service import (
    CloudRunService,
    CloudRunServiceArgs,
    VpcEgress,
)
from inferplane.components.gcp.router_grants import grant_members
from inferplane.components.router.service import RouterImageArgs, RouterService
from inferplane.components.wiring import RouterIdentity, RouterNetwork

__all__ = ["CloudRunRouter", "CloudRunRouterArgs"]


@dataclass(frozen=True, kw_only=True)
class CloudRunRouterArgs(RouterImageArgs):
    """The router as a Cloud Run service."""

    region: str
    """GCP region of the service."""
    service_account: pulumi.Input[str] | None = None
    """Email of the router's own service account (created by the deployment so federation
    can trust it before the config is rendered); None creates a dedicated one."""
    vpc_egress: VpcEgress | None = None
    """Direct VPC egress, to reach internal Cloud Run services and Vertex PSC endpoints;
    None keeps the router off any VPC."""
    internet: bool = True
    """With VPC egress: whether the network has Cloud NAT (internet egress)."""
    grants: Sequence[tuple[str, pulumi.Input[str]]] = ()
    """The GCP targets' grants as (role, resource name); each becomes an IAM member for
    the router's service account (service-level for ``roles/run.invoker``)."""
    federated_identities: Sequence[pulumi.Input[RouterIdentity]] = ()
    """Identities the router acts as in other clouds through federation (AWS role, Azure
    user-assigned identity), published with its own in ``identity``."""
    public: bool = False
    """Serve without cloud-level auth (API keys still apply)."""
    name_prefix: str = "router"
    """The service's name."""


class CloudRunRouter(RouterService):
    """The stack's router on Cloud Run."""

    def __init__(
        self, name: str, args: CloudRunRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args.check()
        super().__init__("cloud_run", name, args, opts)
        self.network = pulumi.Output.from_input(_network(args))
        service = self._service(name, args)
        email = service.service_account_email
        grant_members(self, name, email, args.grants)
        self.identity = pulumi.Output.all(
            email.apply(lambda e: RouterIdentity(cloud="gcp", principal=e)),
            *args.federated_identities,
        ).apply(list)
        self.finish(service.url)

    def _service(self, name: str, args: CloudRunRouterArgs) -> CloudRunService:
        resources = Resources(memory_gib=max(0.5, args.memory_mb / 1024))
        return CloudRunService(
            f"{name}-run",
            CloudRunServiceArgs(
                location=args.region,
                service_name=args.name_prefix,
                container=args.container(self.environment(args), resources),
                min_instances=0,
                max_instances=args.replicas,
                ingress="all" if args.public else "internal_and_cloud_load_balancing",
                public=args.public,
                service_account=args.service_account,
                vpc_egress=args.vpc_egress,
                labels=args.labels.gcp(),
            ),
            opts=self.child(),
        )


def _network(args: CloudRunRouterArgs) -> RouterNetwork:
    egress = args.vpc_egress
    return RouterNetwork(
        # Direct VPC egress sends all traffic into the VPC: the internet only via NAT.
        internet=egress is None or args.internet,
        networks=[] if egress is None else [egress.network],
        interface_endpoints=[],
    )
