from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.aws.bedrock import (
    Bedrock,
    BedrockArgs,
    Commitment,
    GuardrailArgs,
    Inference,
)
from inferplane.plan.computed import ACCOUNT_ID
from tests.components.aws.helpers import (
    LABELS,
    component,
    document,
    regionless,
    statement_resources,
    untagged_aws,
)
from tests.support.recording import one, record
from tests.support.unchecked import unchecked

SONNET = "anthropic.claude-3-5-sonnet-20240620-v1:0"
BASE = BedrockArgs(region="us-east-1", model_id=SONNET, labels=LABELS, name_prefix="s-claude")
POLICY = "aws:iam/policy:Policy"


def build(args: BedrockArgs) -> Any:
    return record(lambda: Bedrock("claude", args))


def test_region_inference_invokes_exactly_the_in_region_model() -> None:
    graph = build(BASE)
    assert statement_resources(one(graph, POLICY)) == [
        f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}"
    ]
    outputs = component(graph, "inferplane:aws:Bedrock").outputs
    model = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}"
    assert outputs["endpoint"] == {
        "backend": "bedrock",
        "model": SONNET,
        "region": "us-east-1",
        "auth": {"scheme": "sigv4", "service": "bedrock"},
        "reach": {"path": "cloud_api", "service": "bedrock-runtime"},
        "grants": [
            {
                "cloud": "aws",
                "actions": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                "resources": [model],
            }
        ],
    }
    assert outputs["invoke_arns"] == [model]
    assert outputs["inference"] == "region"
    assert graph.type_counts() == {"inferplane:aws:Bedrock": 1, POLICY: 1}


def test_geo_profile_names_the_profile_and_its_regions_models_only_through_it() -> None:
    graph = build(replace(BASE, inference="geo", geography="us"))
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/us.{SONNET}"
    models = [
        f"arn:aws:bedrock:{r}::foundation-model/{SONNET}"
        for r in ("us-east-1", "us-east-2", "us-west-2")
    ]
    direct, via = document(one(graph, POLICY))["Statement"]
    assert direct["Resource"] == [profile]
    assert via["Resource"] == models
    assert via["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}
    outputs = component(graph, "inferplane:aws:Bedrock").outputs
    assert outputs["endpoint"]["model"] == f"us.{SONNET}"
    assert outputs["invoke_arns"] == [profile, *models]
    [invoke] = [i for i in graph.invokes if "getInferenceProfile" in i.token]
    assert invoke.args == {"inferenceProfileId": f"us.{SONNET}", "region": "us-east-1"}


def test_global_profile_names_the_documented_arns() -> None:
    graph = build(replace(BASE, inference="global"))
    assert statement_resources(one(graph, POLICY)) == [
        f"arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/global.{SONNET}",
        f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}",
        f"arn:aws:bedrock:::foundation-model/{SONNET}",
    ]


@pytest.mark.parametrize("inference", ["region", "geo", "global"])
def test_inference_choice_is_a_tag_on_every_resource(inference: Inference) -> None:
    args = replace(BASE, inference=inference, geography="us" if inference == "geo" else None)
    graph = build(replace(args, guardrail=GuardrailArgs(), invocation_logging=True))
    tagged = [r for r in graph.resources if r.custom and "tags" in r.inputs]
    assert tagged
    assert {r.inputs["tags"]["bedrock-inference"] for r in tagged} == {inference}
    assert not untagged_aws(graph)
    assert not regionless(graph)
    assert "*" not in statement_resources(one(graph, POLICY))


@pytest.mark.parametrize(
    ("commitment", "wire"), [("none", None), ("OneMonth", "OneMonth"), ("SixMonths", "SixMonths")]
)
def test_provisioned_throughput(commitment: Commitment, wire: str | None) -> None:
    graph = build(replace(BASE, provisioned_units=2, commitment=commitment, approval="CHG-1"))
    throughput = one(graph, "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput")
    assert throughput.inputs["modelUnits"] == 2
    assert throughput.inputs.get("commitmentDuration") == wire
    assert throughput.inputs["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}"
    assert throughput.inputs["tags"]["capacity-approval"] == "CHG-1"
    assert throughput.inputs["tags"]["capacity-commitment"] == commitment
    outputs = component(graph, "inferplane:aws:Bedrock").outputs
    # Callers invoke the provisioned model, and may invoke nothing else.
    assert outputs["endpoint"]["model"] == outputs["provisioned_model_arn"]
    assert statement_resources(one(graph, POLICY)) == [outputs["provisioned_model_arn"]]


def test_guardrail_and_version() -> None:
    graph = build(
        replace(BASE, guardrail=GuardrailArgs(content_strength="MEDIUM", pii_action="BLOCK"))
    )
    guardrail = one(graph, "aws:bedrock/guardrail:Guardrail")
    filters = guardrail.inputs["contentPolicyConfig"]["filtersConfigs"]
    assert {f["type"] for f in filters} == {
        "SEXUAL",
        "VIOLENCE",
        "HATE",
        "INSULTS",
        "MISCONDUCT",
        "PROMPT_ATTACK",
    }
    assert {f["inputStrength"] for f in filters} == {"MEDIUM"}
    pii = guardrail.inputs["sensitiveInformationPolicyConfig"]["piiEntitiesConfigs"]
    assert {p["action"] for p in pii} == {"BLOCK"}
    version = one(graph, "aws:bedrock/guardrailVersion:GuardrailVersion")
    assert version.inputs["guardrailArn"].startswith("arn:aws:bedrock:us-east-1:")
    outputs = component(graph, "inferplane:aws:Bedrock").outputs
    assert outputs["guardrail_version"] == "1"
    apply = document(one(graph, POLICY))["Statement"][-1]
    assert apply["Action"] == ["bedrock:ApplyGuardrail"]


def test_pii_off_leaves_only_content_filters() -> None:
    graph = build(replace(BASE, guardrail=GuardrailArgs(pii_action=None)))
    assert (
        "sensitiveInformationPolicyConfig"
        not in one(graph, "aws:bedrock/guardrail:Guardrail").inputs
    )


def test_invocation_logging_to_an_encrypted_in_region_bucket() -> None:
    graph = build(replace(BASE, region="eu-central-1", invocation_logging=True))
    logging = one(
        graph, "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
    )
    bucket = one(graph, "aws:s3/bucket:Bucket")
    assert logging.inputs["region"] == bucket.inputs["region"] == "eu-central-1"
    assert logging.inputs["loggingConfig"]["s3Config"]["bucketName"] == "claude-invocation-logs"
    encryption = one(
        graph,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "AES256"
    block = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    bucket_policy = one(graph, "aws:s3/bucketPolicy:BucketPolicy")
    writer = document(bucket_policy)["Statement"][1]
    assert writer["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert (
        writer["Condition"]["ArnLike"]["aws:SourceArn"]
        == f"arn:aws:bedrock:eu-central-1:{ACCOUNT_ID}:*"
    )
    # Bedrock checks its write access when the configuration is set.
    assert bucket_policy.urn in logging.dependencies


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region": "us-middle-1"}, "region: 'us-middle-1' is not an AWS region"),
        (
            {"model_id": "arn:aws:bedrock:x"},
            "model_id: 'arn:aws:bedrock:x' is not a foundation model ID",
        ),
        ({"inference": "continent"}, "inference: 'continent' is not allowed"),
        ({"inference": "geo"}, "geography: None is not allowed"),
        ({"inference": "geo", "geography": "mars"}, "geography: 'mars' is not allowed"),
        ({"geography": "us"}, "geography: 'us' is only used with inference 'geo'"),
        ({"commitment": "OneMonth"}, "commitment: 'OneMonth' needs provisioned_units"),
        ({"provisioned_units": 1, "commitment": "OneYear"}, "commitment: 'OneYear' is not allowed"),
        ({"provisioned_units": 0}, r"provisioned_units: 0 is out of range; allowed: 1\.\.10000"),
        (
            {"provisioned_units": 1, "inference": "global"},
            "provisioned throughput serves the in-region model",
        ),
        (
            {"guardrail": GuardrailArgs(content_strength=unchecked("EXTREME"))},
            "guardrail.content_strength: 'EXTREME'",
        ),
        (
            {"guardrail": GuardrailArgs(pii_types=("SHOE_SIZE",))},
            "guardrail.pii_types: 'SHOE_SIZE'",
        ),
    ],
)
def test_invalid_arguments(change: dict[str, Any], message: str) -> None:
    args = replace(BASE, **change)
    with pytest.raises(ValueError, match=message):
        # Checked before anything registers: no engine needed to see the refusal.
        Bedrock("x", args)


LOGGING = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("change", "text", "days", "sse", "key"),
    [
        ({}, False, 30, "AES256", None),
        ({"log_text": True, "log_expire_days": 7}, True, 7, "AES256", None),
        ({"log_kms_key_arn": KEY, "log_expire_days": 400}, False, 400, "aws:kms", KEY),
    ],
)
def test_invocation_logging_text_is_opt_in_expires_and_takes_the_spec_key(
    change: dict[str, Any], text: bool, days: int, sse: str, key: str | None
) -> None:
    graph = build(replace(BASE, invocation_logging=True, **change))
    config = one(graph, LOGGING).inputs["loggingConfig"]
    assert config["textDataDeliveryEnabled"] is text
    assert not any(
        config[k]
        for k in (
            "imageDataDeliveryEnabled",
            "embeddingDataDeliveryEnabled",
            "videoDataDeliveryEnabled",
        )
    )
    [rule] = one(graph, LIFECYCLE).inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"] == {"days": days}
    assert rule["filter"] == {"prefix": ""}
    default = one(graph, ENCRYPTION).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == sse
    assert default.get("kmsMasterKeyId") == key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"log_expire_days": 0}, "log_expire_days: 0 is out of range"),
        ({"log_kms_key_arn": "alias/logs"}, "log_kms_key_arn: 'alias/logs' is not a KMS key"),
    ],
)
def test_invalid_logging_arguments(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(replace(BASE, invocation_logging=True, **change))


@pytest.mark.parametrize(
    ("model", "bought_as"),
    [
        # AWS "Supported Region and models for Provisioned Throughput": the contextual variant.
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0:200k"),
        ("amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0:300k"),
    ],
)
def test_provisioned_throughput_buys_the_context_length_variant(model: str, bought_as: str) -> None:
    graph = build(replace(BASE, model_id=model, provisioned_units=1))
    throughput = one(graph, "aws:bedrock/provisionedModelThroughput:ProvisionedModelThroughput")
    assert (
        throughput.inputs["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{bought_as}"
    )
