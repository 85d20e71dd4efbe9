"""PrivateNetwork: a VPC whose private subnets reach the internet only outbound, through a
NAT gateway per Availability Zone.

The GPU fleet runs here when the spec names no VPC, and the stack's Lambda router joins the
same private subnets to reach the fleet's internal load balancer. Both still need egress:
the fleet pulls its engine image and weights (registries, Hugging Face, S3), the router
calls AWS APIs (Bedrock, SageMaker runtime, STS, Secrets Manager) and Lambda function URLs.
Function URLs are public hosts with no PrivateLink, so interface endpoints alone cannot
carry the router; NAT carries everything. A region's default VPC cannot: its subnets are
public, and instances without a public IP (and every Lambda ENI) have no route out.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.checks import check_range, check_region
from inferplane.components.base import Labels

__all__ = ["PrivateNetwork", "PrivateNetworkArgs"]


@dataclass(frozen=True)
class PrivateNetworkArgs:
    """A VPC with private subnets behind NAT, in ``zones`` Availability Zones."""

    region: str
    """Region of the VPC."""
    labels: Labels
    """Tags for every resource."""
    cidr: str = "10.64.0.0/16"
    """The VPC's IPv4 range (a /16 to /20): private subnets take the lower half, public
    subnets (NAT gateways only) small ranges of the upper half."""
    zones: int = 2
    """Availability Zones (2..4): the ALB needs two; one NAT gateway in each, so one
    zone's outage does not cut the other's egress."""


def _check(args: PrivateNetworkArgs) -> None:
    check_region("region", args.region)
    try:
        network = ipaddress.IPv4Network(args.cidr)
    except ValueError as error:
        raise ValueError(f"cidr: {args.cidr!r} is not an IPv4 network ({error})") from None
    check_range("cidr prefix length", network.prefixlen, 16, 20)
    check_range("zones", args.zones, 2, 4)


def subnet_ranges(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs, one each per zone: private ranges are an eighth of the VPC,
    public ones a sixty-fourth (they hold NAT gateways only)."""
    network = ipaddress.IPv4Network(cidr)
    lower, upper = network.subnets(prefixlen_diff=1)
    private = list(lower.subnets(prefixlen_diff=2))[:zones]
    public = list(upper.subnets(prefixlen_diff=5))[:zones]
    return [str(n) for n in private], [str(n) for n in public]


def _nth(index: int, names: list[str]) -> str:
    return names[index % len(names)]


class PrivateNetwork(pulumi.ComponentResource):
    """VPC, private and public subnets, internet gateway, NAT gateways and routes."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    """Subnets for instances, load balancers and Lambda ENIs (no public IPs)."""

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check(args)
        super().__init__("inferplane:aws:PrivateNetwork", name, None, opts)
        self._name, self._args, self._tags = name, args, args.labels.tags()
        zones = aws.get_availability_zones_output(
            state="available", region=args.region, opts=pulumi.InvokeOutputOptions(parent=self)
        ).names
        vpc = self._vpc()
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, region=args.region, tags=self._tags, opts=self._child()
        )
        to_internet = aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)
        public_routes = self._route_table(f"{name}-public-rt", vpc, to_internet)
        private_ids = [
            self._zone(
                index, zones.apply(functools.partial(_nth, index)), vpc, gateway, public_routes
            )
            for index in range(args.zones)
        ]
        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*private_ids).apply(list)
        self.register_outputs(
            {"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids}
        )

    def _child(self, **more: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **more)

    def _vpc(self) -> aws.ec2.Vpc:
        return aws.ec2.Vpc(
            f"{self._name}-vpc",
            cidr_block=self._args.cidr,
            # Private hosted zones (the fleet's TLS name) and interface endpoints need both.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            region=self._args.region,
            tags=dict(self._tags, Name=self._name),
            opts=self._child(),
        )

    def _zone(
        self,
        index: int,
        zone: pulumi.Output[str],
        vpc: aws.ec2.Vpc,
        gateway: aws.ec2.InternetGateway,
        public_routes: aws.ec2.RouteTable,
    ) -> pulumi.Output[str]:
        """One zone: a public subnet holding its NAT gateway, and a private subnet whose
        default route is that NAT gateway; returns the private subnet's ID."""
        name, args = self._name, self._args
        private_cidrs, public_cidrs = subnet_ranges(args.cidr, args.zones)
        public = self._subnet(f"{name}-public-{index}", vpc.id, public_cidrs[index], zone, args)
        self._associate(f"{name}-public-{index}-rt", public, public_routes)
        nat = self._nat(index, public, gateway)
        private = self._subnet(f"{name}-private-{index}", vpc.id, private_cidrs[index], zone, args)
        to_nat = aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)
        routes = self._route_table(f"{name}-private-{index}-rt", vpc, to_nat)
        self._associate(f"{name}-private-{index}-rta", private, routes)
        return private.id

    def _nat(
        self, index: int, public: aws.ec2.Subnet, gateway: aws.ec2.InternetGateway
    ) -> aws.ec2.NatGateway:
        name, region = self._name, self._args.region
        address = aws.ec2.Eip(
            f"{name}-nat-{index}-ip",
            domain="vpc",
            region=region,
            tags=self._tags,
            opts=self._child(),
        )
        return aws.ec2.NatGateway(
            f"{name}-nat-{index}",
            allocation_id=address.id,
            subnet_id=public.id,
            connectivity_type="public",
            region=region,
            tags=self._tags,
            opts=self._child(depends_on=[gateway]),
        )

    def _route_table(
        self, name: str, vpc: aws.ec2.Vpc, default_route: aws.ec2.RouteTableRouteArgs
    ) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(
            name,
            vpc_id=vpc.id,
            routes=[default_route],
            region=self._args.region,
            tags=self._tags,
            opts=self._child(),
        )

    def _associate(self, name: str, subnet: aws.ec2.Subnet, routes: aws.ec2.RouteTable) -> None:
        aws.ec2.RouteTableAssociation(
            name,
            subnet_id=subnet.id,
            route_table_id=routes.id,
            region=self._args.region,
            opts=self._child(),
        )

    def _subnet(
        self,
        name: str,
        vpc_id: pulumi.Output[str],
        cidr: str,
        zone: pulumi.Output[str],
        args: PrivateNetworkArgs,
    ) -> aws.ec2.Subnet:
        return aws.ec2.Subnet(
            name,
            vpc_id=vpc_id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            region=args.region,
            tags=args.labels.tags(Name=name),
            opts=pulumi.ResourceOptions(parent=self),
        )
