from __future__ import annotations

from typing import Any

import pytest

from inferplane.preflight import FoundationModel
from inferplane.preflight.checks import bedrock_models
from tests.preflight.conftest import HAIKU, FakeCapacity, check, spec_with


def _bedrock(**extra: Any) -> dict[str, Any]:
    return {"kind": "bedrock", "region": "us-east-1", "model": HAIKU, **extra}


def test_on_demand_model_in_region_passes(capacity: FakeCapacity) -> None:
    (result,) = check(bedrock_models, spec_with({"claude": _bedrock()}), capacity)
    assert result.status == "pass"
    assert result.reason == f"{HAIKU} ON_DEMAND in us-east-1"


def test_model_not_offered_fails(capacity: FakeCapacity) -> None:
    capacity.models = {}
    (result,) = check(bedrock_models, spec_with({"claude": _bedrock()}), capacity)
    assert result.status == "fail"
    assert result.reason == f"{HAIKU} is not offered in us-east-1"


def test_provisioned_needs_provisioned_support(capacity: FakeCapacity) -> None:
    capacity.models = {HAIKU: FoundationModel(HAIKU, ("ON_DEMAND", "INFERENCE_PROFILE"))}
    target = _bedrock(capacity={"mode": "provisioned", "units": 1, "term": "1_month"})
    (result,) = check(bedrock_models, spec_with({"claude": target}), capacity)
    assert result.status == "fail"
    assert "not PROVISIONED" in result.reason


SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"


@pytest.mark.parametrize(
    ("model", "inference", "status"),
    [(HAIKU, "geo", "pass"), (SONNET_4, "global", "fail"), (SONNET_4, "geo", "fail")],
)
def test_inference_profiles(
    capacity: FakeCapacity, model: str, inference: str, status: str
) -> None:
    # The spec refuses combinations the offline table knows are not offered (no global.
    # Haiku 3); preflight confirms online what the table allows: here the account's region
    # lists no Sonnet 4 profile at all.
    capacity.models[SONNET_4] = FoundationModel(SONNET_4, ("INFERENCE_PROFILE",))
    target = _bedrock(model=model, inference=inference)
    (result,) = check(bedrock_models, spec_with({"claude": target}), capacity)
    assert result.status == status
    assert ("us." if inference == "geo" else "global.") + model in result.reason


def test_lambda_target_model_is_checked_once_per_region(capacity: FakeCapacity) -> None:
    spec = spec_with(
        {
            "claude": _bedrock(),
            "fn": {"kind": "lambda", "region": "us-east-1", "model": HAIKU},
        }
    )
    results = check(bedrock_models, spec, capacity)
    assert [r.status for r in results] == ["pass", "pass"]
    assert capacity.calls.count("foundation_models us-east-1") == 1


@pytest.mark.parametrize(
    ("environment", "status", "reason"),
    [
        (
            "prod",
            "fail",
            "amazon.nova-lite-v1:0 is LEGACY in us-east-1 (AWS will end it): pick an Active "
            "model before a prod deploy; the offline table still says active",
        ),
        ("dev", "pass", "amazon.nova-lite-v1:0 is LEGACY in us-east-1 (AWS will end it); plan"),
    ],
)
def test_a_legacy_model_online_is_refused_in_prod_even_if_the_table_says_active(
    capacity: FakeCapacity, environment: str, status: str, reason: str
) -> None:
    nova = "amazon.nova-lite-v1:0"
    capacity.models[nova] = FoundationModel(nova, ("ON_DEMAND",), "LEGACY")
    spec = spec_with({"nova": _bedrock(model=nova)}, environment=environment)
    (result,) = check(bedrock_models, spec, capacity)
    assert result.status == status
    assert result.reason.startswith(reason), result.reason


def test_the_adapter_reads_the_lifecycle_from_list_foundation_models() -> None:
    from botocore.stub import Stubber

    from inferplane.preflight import AwsClients, Boto3CapacityApi

    clients = AwsClients()
    client = clients.client("bedrock", "us-east-1")
    # Stubber checks the response against botocore's ListFoundationModels output shape.
    with Stubber(client) as stub:
        stub.add_response(
            "list_foundation_models",
            {
                "modelSummaries": [
                    {
                        "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/a.b-v1:0",
                        "modelId": "a.b-v1:0",
                        "inferenceTypesSupported": ["ON_DEMAND"],
                        "modelLifecycle": {"status": "LEGACY"},
                    }
                ]
            },
        )
        models = Boto3CapacityApi(clients).foundation_models("us-east-1")
    assert models["a.b-v1:0"] == FoundationModel("a.b-v1:0", ("ON_DEMAND",), "LEGACY")
