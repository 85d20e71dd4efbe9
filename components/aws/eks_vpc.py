"""Where an existing EKS cluster's pods live on the network: its VPC, subnets, address
ranges and the cluster security group EKS attaches to its nodes. Looked up (the cluster
is not the stack's), so a stack can put a managed service beside the pods."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

__all__ = ["EksVpc", "eks_vpc"]


@dataclass(frozen=True)
class EksVpc:
    """An EKS cluster's network, as the stack sees it."""

    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    """The cluster's subnets (its control-plane ENIs': private in a production cluster)."""
    cidrs: pulumi.Output[list[str]]
    """Every IPv4 range of the VPC (primary and associated), sorted."""
    node_security_group_id: pulumi.Output[str]
    """The cluster security group: EKS attaches it to managed node groups' nodes and to
    Fargate pods, so a pod's traffic leaves carrying it (the VPC CNI gives pods the node
    ENIs' groups unless security groups for pods are switched on)."""


def eks_vpc(name: str, region: str) -> EksVpc:
    """The network of the EKS cluster ``name`` in ``region``."""
    vpc_config = aws.eks.get_cluster_output(name=name, region=region).vpc_config
    vpc_id = vpc_config.vpc_id
    vpc = aws.ec2.get_vpc_output(id=vpc_id, region=region)
    cidrs = pulumi.Output.all(vpc.cidr_block, vpc.cidr_block_associations).apply(
        lambda p: sorted({p[0], *(a.cidr_block for a in p[1] or ())})
    )
    return EksVpc(
        vpc_id=vpc_id,
        subnet_ids=vpc_config.subnet_ids.apply(list),
        cidrs=cidrs,
        node_security_group_id=vpc_config.cluster_security_group_id,
    )
