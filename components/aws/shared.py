"""What every AWS component shares: IAM policy documents, Bedrock ARNs, physical names
within AWS's length limits, argument checks against botocore's service model, and the
encrypted in-region bucket that logs, data capture and async outputs go to.

IAM statements never carry a bare ``*`` resource, except for the few actions AWS only
authorises on ``*`` (listed in ``WILDCARD_ONLY_ACTIONS``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from inferplane.components.base import Labels

__all__ = [
    "LOG_RETENTION_DAYS",
    "WILDCARD_ONLY_ACTIONS",
    "BucketParts",
    "Statement",
    "account_id",
    "assume_role_policy",
    "botocore_enum",
    "check_choice",
    "check_range",
    "check_region",
    "encrypted_bucket",
    "foundation_model_arn",
    "inference_profile_arn",
    "physical_name",
    "policy_document",
]

# Actions whose only valid resource is "*" (IAM service authorization reference).
WILDCARD_ONLY_ACTIONS = frozenset({"ecr:GetAuthorizationToken"})

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")


@dataclass(frozen=True)
class Statement:
    """One IAM policy statement."""

    actions: tuple[str, ...]
    """IAM actions, e.g. ``("bedrock:InvokeModel",)``."""
    resources: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Resource ARNs; a bare ``*`` is refused unless every action is wildcard-only."""
    sid: str | None = None
    """Statement ID (letters and digits)."""
    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny."""
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """IAM condition block: operator -> key -> value(s)."""
    principals: Mapping[str, Any] = field(default_factory=dict)
    """Principal block, for resource policies (bucket policies)."""

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError("statement actions: empty; name at least one IAM action")
        resources = self.resources
        wildcard = isinstance(resources, (list, tuple)) and "*" in resources
        if wildcard and not set(self.actions) <= WILDCARD_ONLY_ACTIONS:
            raise ValueError(
                f"statement resources: '*' for {', '.join(self.actions)}; name the ARNs"
                f" (only {', '.join(sorted(WILDCARD_ONLY_ACTIONS))} may use '*')"
            )

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "Effect": self.effect,
            "Action": list(self.actions),
            "Resource": self.resources,
        }
        if self.sid:
            doc["Sid"] = self.sid
        if self.principals:
            doc["Principal"] = dict(self.principals)
        if self.conditions:
            doc["Condition"] = {k: dict(v) for k, v in self.conditions.items()}
        return doc


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The JSON policy document of ``statements`` (ARNs may be outputs)."""
    return pulumi.Output.json_dumps(
        {"Version": "2012-10-17", "Statement": [s.document() for s in statements]}
    )


def assume_role_policy(service: str) -> str:
    """Trust policy letting one AWS service (``lambda.amazonaws.com``...) assume a role."""
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def account_id() -> pulumi.Output[str]:
    """The deploying account's ID (an invoke)."""
    return aws.get_caller_identity_output().account_id


def foundation_model_arn(region: str, model_id: str) -> str:
    """``arn:aws:bedrock:<region>::foundation-model/<id>``; region ``""`` for the
    region-less ARN that global inference profiles authorise."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(region: str, account: str, profile_id: str) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def physical_name(prefix: str, role: str = "", limit: int = 63) -> str:
    """``<prefix>-<role>`` made of letters, digits and '-', at most ``limit`` characters;
    a name cut to fit ends in a short hash of the full name so it stays unique."""
    full = _UNSAFE.sub("-", f"{prefix}-{role}" if role else prefix).strip("-")
    if len(full) <= limit:
        return full
    digest = hashlib.blake2b(full.encode(), digest_size=3).hexdigest()
    return f"{full[: limit - len(digest) - 1].rstrip('-')}-{digest}"


@cache
def botocore_enum(service: str, shape: str) -> frozenset[str]:
    """The allowed values of an enum shape in botocore's model of ``service``."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    values: list[str] = getattr(model.shape_for(shape), "enum", [])
    return frozenset(values)


def check_region(key: str, region: str) -> None:
    import boto3

    session = boto3.session.Session()
    known = {
        r
        for partition in ("aws", "aws-us-gov", "aws-cn")
        for r in session.get_available_regions("ec2", partition_name=partition)
    }
    if region not in known:
        raise ValueError(f"{key}: {region!r} is not an AWS region")


def check_choice(key: str, value: object, allowed: Sequence[object] | frozenset[str]) -> None:
    if value not in allowed:
        shown = ", ".join(map(str, sorted(allowed, key=str)))
        if len(allowed) > 12:
            shown = f"one of botocore's {len(allowed)} values, e.g. {shown[:80]}..."
        raise ValueError(f"{key}: {value!r} is not allowed; allowed: {shown}")


def check_range(key: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{key}: {value} is out of range; allowed: {low}..{high}")


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
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-expiry",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-objects",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=1
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=1
                ),
            )
        ],
        region=region,
        opts=opts,
    )
    tls_only = Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=("s3:*",),
        resources=[bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
        principals={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy_document([tls_only, *(writers(bucket) if writers else ())]),
        region=region,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block]),
    )
    return BucketParts(bucket, policy)
