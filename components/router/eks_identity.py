"""An AWS identity for a router pod on EKS through Pod Identity: an IAM role whose trust
policy names only the Pod Identity service, bound to one service account in one namespace
of one cluster by an association; no long-lived key in the cluster."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pulumi

if TYPE_CHECKING:
    from inferplane.components.router.kubernetes import EksCluster
    from inferplane.components.router.service import RouterService

__all__ = ["pod_identity_role"]

_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                # Pod Identity tags the session (cluster, namespace, account).
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    },
    sort_keys=True,
)


def pod_identity_role(
    owner: RouterService,
    name: str,
    *,
    cluster: EksCluster,
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    tags: Mapping[str, str],
) -> pulumi.Output[str]:
    """The ARN of a role holding ``policy``, assumed by ``service_account``'s pods."""
    import pulumi_aws as aws

    role = aws.iam.Role(
        f"{name}-pod-role",
        assume_role_policy=_TRUST,
        description=f"inferplane router on EKS {cluster.name}/{namespace}",
        tags=tags,
        opts=owner.child(),
    )
    aws.iam.RolePolicy(f"{name}-invoke", role=role.id, policy=policy, opts=owner.child())
    aws.eks.PodIdentityAssociation(
        f"{name}-pod-identity",
        cluster_name=cluster.name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        region=cluster.region,
        tags=tags,
        opts=owner.child(),
    )
    return role.arn
