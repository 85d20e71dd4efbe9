from __future__ import annotations

import pytest

from inferplane.components.aws.arns import foundation_model_arn, inference_profile_arn
from inferplane.components.aws.checks import botocore_enum, check_region
from inferplane.components.aws.iam import Statement
from inferplane.components.aws.naming import physical_name


def test_statement_refuses_a_wildcard_resource() -> None:
    with pytest.raises(ValueError, match=r"resources: '\*' for bedrock:InvokeModel"):
        Statement(actions=("bedrock:InvokeModel",), resources=["*"])


def test_wildcard_only_actions_may_use_a_wildcard() -> None:
    statement = Statement(actions=("ecr:GetAuthorizationToken",), resources=["*"])
    assert statement.document()["Resource"] == ["*"]


def test_statement_needs_actions() -> None:
    with pytest.raises(ValueError, match="actions: empty"):
        Statement(actions=(), resources=["arn:aws:s3:::b"])


@pytest.mark.parametrize(
    ("prefix", "role", "limit", "expected"),
    [
        ("prod-us-east-1-llama", "alb", 32, "prod-us-east-1-llama-alb"),
        ("a_b c", "", 63, "a-b-c"),
    ],
)
def test_physical_name_sanitises(prefix: str, role: str, limit: int, expected: str) -> None:
    assert physical_name(prefix, role, limit) == expected


def test_physical_name_cut_to_limit_stays_unique() -> None:
    one = physical_name("prod-us-east-1-a-very-long-target-name-one", "alb", 32)
    two = physical_name("prod-us-east-1-a-very-long-target-name-two", "alb", 32)
    assert len(one) <= 32
    assert len(two) <= 32
    assert one != two


def test_bedrock_arns() -> None:
    assert foundation_model_arn("eu-central-1", "m.x-v1:0") == (
        "arn:aws:bedrock:eu-central-1::foundation-model/m.x-v1:0"
    )
    assert inference_profile_arn("us-east-1", "123456789012", "us.m") == (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.m"
    )


def test_botocore_enum_reads_the_service_model() -> None:
    assert "ml.g5.2xlarge" in botocore_enum("sagemaker", "ProductionVariantInstanceType")
    assert "ml.g5.3xlarge" not in botocore_enum("sagemaker", "ProductionVariantInstanceType")


def test_check_region() -> None:
    check_region("region", "eu-central-1")
    with pytest.raises(ValueError, match="region: 'eu-middle-1' is not an AWS region"):
        check_region("region", "eu-middle-1")
