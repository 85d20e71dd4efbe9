"""The encrypted in-region bucket that logs, data capture and async outputs go to:
default encryption, public access blocked, TLS only, objects expired."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.checks import check_range
from inferplane.components.aws.iam import Statement, policy_document
from inferplane.components.aws.naming import physical_name
from inferplane.components.base import Labels

__all__ = ["BucketParts", "encrypted_bucket"]


@dataclass(frozen=True)
class BucketParts:
    """An encrypted bucket and its policy (services that check they may write to the
    bucket when configured must depend on the policy)."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy


def encrypted_bucket(
    name: str,
    *,
    region: str,
    labels: Labels,
    parent: pulumi.Resource,
    kms_key_arn: pulumi.Input[str] | None = None,
    writers: Callable[[aws.s3.Bucket], Sequence[Statement]] | None = None,
    tags: Mapping[str, str] | None = None,
    expire_days: int = 30,
) -> BucketParts:
    """A private bucket in ``region``: default encryption (SSE-KMS with ``kms_key_arn``,
    else SSE-S3), public access blocked, TLS-only, objects deleted ``expire_days`` after
    they are written (these buckets hold prompts, answers and logs: nothing is kept
    forever by default), plus the statements ``writers`` makes for the bucket (e.g.
    letting Bedrock write logs). Its children are created under ``parent``."""
    check_range("expire_days", expire_days, 1, 3650)
    opts = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        bucket_prefix=physical_name(name.lower(), limit=37).lower(),
        force_destroy=False,
        region=region,
        tags=labels.tags(**(tags or {})),
        opts=opts,
    )
    _encrypt(name, bucket, region, kms_key_arn, opts)
    block = _block_public_access(name, bucket, region, opts)
    _expire(name, bucket, region, expire_days, opts)
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy_document([_tls_only(bucket), *(writers(bucket) if writers else ())]),
        region=region,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
    return BucketParts(bucket, policy)


def _encrypt(
    name: str,
    bucket: aws.s3.Bucket,
    region: str,
    kms_key_arn: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
) -> None:
    rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms" if kms_key_arn is not None else "AES256",
            kms_master_key_id=kms_key_arn,
        ),
        bucket_key_enabled=kms_key_arn is not None,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.id, rules=[rule], region=region, opts=opts
    )


def _block_public_access(
    name: str, bucket: aws.s3.Bucket, region: str, opts: pulumi.ResourceOptions
) -> aws.s3.BucketPublicAccessBlock:
    return aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )


def _expire(
    name: str, bucket: aws.s3.Bucket, region: str, days: int, opts: pulumi.ResourceOptions
) -> None:
    """Objects (and old versions, and abandoned uploads) do not outlive ``days``."""
    rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="expire-objects",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=1
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=1
        ),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-expiry", bucket=bucket.id, rules=[rule], region=region, opts=opts
    )


def _tls_only(bucket: aws.s3.Bucket) -> Statement:
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=("s3:*",),
        resources=[bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
        principals={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
