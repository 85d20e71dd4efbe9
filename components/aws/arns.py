"""ARNs the AWS components build: the deploying account and Bedrock's models and
inference profiles."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

__all__ = ["account_id", "foundation_model_arn", "inference_profile_arn"]


def account_id() -> pulumi.Output[str]:
    """The deploying account's ID (an invoke)."""
    return aws.get_caller_identity_output().account_id


def foundation_model_arn(region: str, model_id: str) -> str:
    """``arn:aws:bedrock:<region>::foundation-model/<id>``; region ``""`` for the
    region-less ARN that global inference profiles authorise."""
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(region: str, account: str, profile_id: str) -> str:
    """``arn:aws:bedrock:<region>:<account>:inference-profile/<id>``."""
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"
