"""Where a fleet runs and who may talk to it: the VPC and private subnets (the spec's, or
a ``PrivateNetwork`` of its own), the ALB's and the instances' security groups, and the
instances' HTTPS egress for images and weights."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.scope import FleetScope
from inferplane.components.aws.network import PrivateNetwork, PrivateNetworkArgs

__all__ = ["SecurityGroups", "admit_rule", "fleet_network", "security_groups"]

SecurityGroups = tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]
"""(the ALB's group, the instances' group)."""


def fleet_network(scope: FleetScope) -> tuple[pulumi.Output[str], pulumi.Output[list[str]]]:
    """The spec's VPC and private subnets, else a private network of the fleet's own
    (the default VPC has no egress for instances without public IPs)."""
    args = scope.args
    if args.vpc_id is not None:
        return (
            pulumi.Output.from_input(args.vpc_id),
            pulumi.Output.from_input(list(args.subnet_ids)),
        )
    network = PrivateNetwork(
        f"{scope.name}-net",
        PrivateNetworkArgs(region=args.region, labels=args.labels),
        opts=scope.child(),
    )
    return network.vpc_id, network.private_subnet_ids


def security_groups(scope: FleetScope, vpc_id: pulumi.Output[str]) -> SecurityGroups:
    """The ALB reaches the instances on the engine's port; the instances reach HTTPS."""
    name, port = scope.name, scope.args.container.port
    # The ALB admits no one here: each caller is admitted by its group (``admit_rule``).
    alb_sg = _security_group(scope, f"{name}-alb-sg", "load balancer", vpc_id)
    instance_sg = _security_group(scope, f"{name}-instance-sg", "instances", vpc_id)
    to_instances = {"referenced_security_group_id": instance_sg.id}
    _tcp_rule(scope, f"{name}-alb-to-instances", "out", alb_sg, port, **to_instances)
    from_alb = {"referenced_security_group_id": alb_sg.id}
    _tcp_rule(scope, f"{name}-instances-from-alb", "in", instance_sg, port, **from_alb)
    # Images and weights come over HTTPS (registries, Hugging Face, S3), through NAT.
    _tcp_rule(scope, f"{name}-instances-https-out", "out", instance_sg, 443, cidr_ipv4="0.0.0.0/0")
    return alb_sg, instance_sg


def admit_rule(
    scope: FleetScope,
    name: str,
    *,
    alb_sg: aws.ec2.SecurityGroup,
    listener_port: int,
    caller: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupIngressRule:
    """Let the ``caller`` security group open connections to the ALB's listener; the rule
    belongs to ``parent``."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        description="inferplane: caller admitted to the GPU fleet's listener",
        security_group_id=alb_sg.id,
        referenced_security_group_id=caller,
        from_port=listener_port,
        to_port=listener_port,
        ip_protocol="tcp",
        region=scope.args.region,
        tags=scope.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _security_group(
    scope: FleetScope, name: str, role: str, vpc_id: pulumi.Output[str]
) -> aws.ec2.SecurityGroup:
    return aws.ec2.SecurityGroup(
        name,
        description=f"inferplane GPU fleet {role}",
        vpc_id=vpc_id,
        region=scope.args.region,
        tags=scope.tags,
        opts=scope.child(),
    )


def _tcp_rule(
    scope: FleetScope,
    name: str,
    direction: Literal["in", "out"],
    group: aws.ec2.SecurityGroup,
    port: int,
    **peer: pulumi.Input[str],
) -> None:
    """One TCP port of ``group``, to or from ``peer`` (a CIDR or another group)."""
    rule = (
        aws.vpc.SecurityGroupIngressRule if direction == "in" else aws.vpc.SecurityGroupEgressRule
    )
    rule(
        name,
        security_group_id=group.id,
        from_port=port,
        to_port=port,
        ip_protocol="tcp",
        region=scope.args.region,
        tags=scope.tags,
        opts=scope.child(),
        **peer,
    )
