"""The fleet instances' IAM identity: Session Manager instead of SSH, the CloudWatch agent
when the group scales on the engine's queue, and read access to the Hugging Face token
secret for gated weights. Nothing else: the instances call no other AWS API."""

from __future__ import annotations

import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.queue_agent import CLOUDWATCH_AGENT_POLICY
from inferplane.components.aws.gpu_fleet.scope import FleetScope
from inferplane.components.aws.iam import Statement, assume_role_policy, policy_document

__all__ = ["SSM_CORE", "instance_profile"]

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def instance_profile(scope: FleetScope) -> aws.iam.InstanceProfile:
    """The role the instances run as, wrapped in an instance profile."""
    name, args = scope.name, scope.args
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        description=f"GPU fleet instances of {args.name_prefix} ({args.region})",
        tags=scope.tags,
        opts=scope.child(),
    )
    # Session Manager instead of SSH: no key pair, no open port 22.
    _attach(scope, "ssm", role, SSM_CORE)
    if args.queue_metric:
        # The agent publishes EMF through CloudWatch Logs and PutMetricData.
        _attach(scope, "cloudwatch-agent", role, CLOUDWATCH_AGENT_POLICY)
    if args.hf_token_secret_arn:
        _read_token(scope, role, args.hf_token_secret_arn)
    return aws.iam.InstanceProfile(
        f"{name}-profile", role=role.name, tags=scope.tags, opts=scope.child()
    )


def _attach(scope: FleetScope, what: str, role: aws.iam.Role, policy_arn: str) -> None:
    aws.iam.RolePolicyAttachment(
        f"{scope.name}-{what}", role=role.name, policy_arn=policy_arn, opts=scope.child()
    )


def _read_token(scope: FleetScope, role: aws.iam.Role, secret_arn: str) -> None:
    read = Statement(
        sid="ReadModelToken",
        actions=("secretsmanager:GetSecretValue",),
        resources=[secret_arn],
    )
    aws.iam.RolePolicy(
        f"{scope.name}-read-token",
        role=role.id,
        policy=policy_document([read]),
        opts=scope.child(),
    )
