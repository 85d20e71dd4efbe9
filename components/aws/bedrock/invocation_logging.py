"""The account's Bedrock model invocation logging for one region, into an encrypted bucket
in that region (one target per account and region owns it)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.bedrock.args import BedrockArgs
from inferplane.components.aws.buckets import encrypted_bucket
from inferplane.components.aws.iam import Statement
from inferplane.components.base import TargetComponent

__all__ = ["invocation_logging"]

_S3Config = aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigS3ConfigArgs


def invocation_logging(
    owner: TargetComponent,
    name: str,
    args: BedrockArgs,
    account: pulumi.Output[str],
    tags: dict[str, str],
) -> aws.s3.Bucket:
    """The log bucket (Bedrock may write to it for this account only) and the logging
    configuration that fills it."""
    parts = encrypted_bucket(
        f"{name}-invocation-logs",
        region=args.region,
        labels=args.labels,
        parent=owner,
        kms_key_arn=args.log_kms_key_arn,
        expire_days=args.log_expire_days,
        writers=lambda bucket: [_bedrock_writes(bucket, args.region, account)],
        tags={k: v for k, v in tags.items() if k.startswith("bedrock-")},
    )
    aws.bedrockmodel.InvocationLoggingConfiguration(
        f"{name}-invocation-logging",
        logging_config=aws.bedrockmodel.InvocationLoggingConfigurationLoggingConfigArgs(
            s3_config=_S3Config(bucket_name=parts.bucket.bucket),
            # Prompt text is retained only when the spec opts in; metadata always.
            text_data_delivery_enabled=args.log_text,
            image_data_delivery_enabled=False,
            embedding_data_delivery_enabled=False,
            video_data_delivery_enabled=False,
        ),
        region=args.region,
        # Bedrock checks it may write to the bucket when the config is set.
        opts=owner.child(depends_on=[parts.policy]),
    )
    return parts.bucket


def _bedrock_writes(bucket: aws.s3.Bucket, region: str, account: pulumi.Output[str]) -> Statement:
    logs = pulumi.Output.concat(bucket.arn, "/AWSLogs/", account, "/BedrockModelInvocationLogs/*")
    return Statement(
        sid="BedrockInvocationLogs",
        actions=("s3:PutObject",),
        resources=[logs],
        principals={"Service": "bedrock.amazonaws.com"},
        conditions={
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {
                "aws:SourceArn": pulumi.Output.concat(
                    "arn:aws:bedrock:", region, ":", account, ":*"
                )
            },
        },
    )
