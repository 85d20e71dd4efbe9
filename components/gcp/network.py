"""The stack's VPC network on GCP: where a Cloud Run router egresses (Direct VPC egress)
to reach internal-only Cloud Run services and Vertex endpoints behind Private Service
Connect.

One subnet in the router's region with Private Google Access (internal-ingress Cloud Run
services are reached on their ``run.app`` names through it), a service connection policy
for Vertex AI (PSC automation creates each private endpoint's forwarding rule in this
subnet), and, only when the router also calls targets on the internet, Cloud NAT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

__all__ = ["VERTEX_SERVICE_CLASS", "VpcNetwork", "VpcNetworkArgs"]

VERTEX_SERVICE_CLASS = "gcp-vertexai"
"""Service class of Vertex AI's PSC automation (service connection policies)."""
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_CIDR = re.compile(r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-6])$")


@dataclass(frozen=True)
class VpcNetworkArgs:
    project: str
    """Project of the network (the path ``projects/<project>/global/networks/<name>``)."""
    name: str
    """Network name: lowercase letters, digits and '-', at most 63 characters."""
    region: str
    """Region of the subnet (the router's region)."""
    cidr: str = "10.8.0.0/24"
    """Subnet range: /26 or larger, as Direct VPC egress needs addresses per instance."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the resources that take them."""


class VpcNetwork(pulumi.ComponentResource):
    """A custom-mode VPC network with one subnet for the router and PSC endpoints."""

    path: str
    """``projects/<project>/global/networks/<name>``: the network as wiring names it."""
    subnetwork_path: str
    """``projects/<project>/regions/<region>/subnetworks/<name>``."""
    region: str
    """Region of the subnet."""
    internet: bool
    """Whether Cloud NAT gives instances in the subnet internet egress."""

    def __init__(
        self, name: str, args: VpcNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:gcp:VpcNetwork", name, None, opts)
        self._name, self._args = name, args
        self.region = args.region
        self.path = f"projects/{args.project}/global/networks/{args.name}"
        self.subnetwork_path = (
            f"projects/{args.project}/regions/{args.region}/subnetworks/{args.name}"
        )
        self.internet = False
        child = pulumi.ResourceOptions(parent=self)
        self.network = gcp.compute.Network(
            f"{name}-vpc",
            name=args.name,
            project=args.project,
            auto_create_subnetworks=False,
            opts=child,
        )
        self.subnetwork = gcp.compute.Subnetwork(
            f"{name}-subnet",
            name=args.name,
            project=args.project,
            region=args.region,
            network=self.network.id,
            ip_cidr_range=args.cidr,
            private_ip_google_access=True,
            opts=child,
        )
        self._vertex_psc_policy(name, args)
        self.register_outputs({"path": self.path, "subnetwork_path": self.subnetwork_path})

    def _vertex_psc_policy(self, name: str, args: VpcNetworkArgs) -> None:
        """Lets Vertex AI's PSC automation put private endpoints' forwarding rules in the
        subnet."""
        gcp.networkconnectivity.ServiceConnectionPolicy(
            f"{name}-vertex-psc",
            name=f"{args.name}-vertexai"[:63],
            project=args.project,
            location=args.region,
            network=self.network.id,
            service_class=VERTEX_SERVICE_CLASS,
            description="Vertex AI PSC automation: private endpoints' forwarding rules",
            psc_config=gcp.networkconnectivity.ServiceConnectionPolicyPscConfigArgs(
                subnetworks=[self.subnetwork.id]
            ),
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def add_internet_egress(self) -> None:
        """Cloud NAT for the subnet: a router egressing all traffic into the VPC still
        reaches targets on the internet (other clouds' APIs, edge sites)."""
        if self.internet:
            return
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        cloud_router = gcp.compute.Router(
            f"{self._name}-router",
            name=f"{args.name}-nat"[:63],
            project=args.project,
            region=args.region,
            network=self.network.id,
            opts=child,
        )
        gcp.compute.RouterNat(
            f"{self._name}-nat",
            name=f"{args.name}-nat"[:63],
            project=args.project,
            region=args.region,
            router=cloud_router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                gcp.compute.RouterNatSubnetworkArgs(
                    name=self.subnetwork.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
                )
            ],
            opts=child,
        )
        self.internet = True


def _check(args: VpcNetworkArgs) -> None:
    if not _NAME.match(args.name):
        raise ValueError(
            f"name {args.name!r} is not allowed; use 1-63 lowercase letters, digits and '-', "
            "starting with a letter"
        )
    if not _CIDR.match(args.cidr):
        raise ValueError(f"cidr {args.cidr!r} is not allowed; use an IPv4 range /16 to /26")
