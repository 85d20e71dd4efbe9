"""Provisioned throughput for a Bedrock model: model units bought on the model's
context-length variant, hourly or under a commitment."""

from __future__ import annotations

import pulumi_aws as aws

from inferplane.catalog.bedrock_models import pt_model_id
from inferplane.components.aws.arns import foundation_model_arn
from inferplane.components.aws.bedrock.args import BedrockArgs
from inferplane.components.aws.naming import physical_name
from inferplane.components.base import TargetComponent

__all__ = ["provisioned_throughput"]


def provisioned_throughput(
    owner: TargetComponent, name: str, args: BedrockArgs, tags: dict[str, str]
) -> aws.bedrock.ProvisionedModelThroughput | None:
    """The provisioned model ``args.provisioned_units`` asks for; None on demand."""
    if args.provisioned_units is None:
        return None
    pt_tags = dict(tags, **{"capacity-commitment": args.commitment})
    if args.approval:
        pt_tags["capacity-approval"] = args.approval
    region = args.region
    return aws.bedrock.ProvisionedModelThroughput(
        f"{name}-throughput",
        provisioned_model_name=physical_name(args.name_prefix, "pt", 63),
        # PT is bought on the context-length variant (``...:300k``), not the
        # on-demand ID; an ID that already names a variant passes through.
        model_arn=foundation_model_arn(region, pt_model_id(args.model_id, region) or args.model_id),
        model_units=args.provisioned_units,
        # Omitted = no commitment (hourly); AWS rejects the literal "none".
        commitment_duration=None if args.commitment == "none" else args.commitment,
        region=region,
        tags=pt_tags,
        opts=owner.child(),
    )
