from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from inferplane.components.aws.sagemaker_serverless import (
    SageMakerServerlessArgs,
    SageMakerServerlessEndpoint,
)
from tests.components.aws.helpers import LABELS, component, regionless, untagged_aws
from tests.support.recording import one, record

BASE = SageMakerServerlessArgs(
    region="eu-central-1",
    model_id="mistralai/Mistral-7B-Instruct-v0.3",
    labels=LABELS,
    name_prefix="p-mistral-sl",
    memory_mb=6144,
    max_concurrency=20,
)


def build(args: SageMakerServerlessArgs) -> Any:
    return record(lambda: SageMakerServerlessEndpoint("sl", args), region="eu-central-1")


def test_serverless_variant_and_cpu_image() -> None:
    graph = build(replace(BASE, provisioned_concurrency=2))
    assert graph.type_counts() == {
        "inferplane:aws:SageMakerServerlessEndpoint": 1,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:sagemaker/model:Model": 1,
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration": 1,
        "aws:sagemaker/endpoint:Endpoint": 1,
    }
    variant = one(graph, "aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs[
        "productionVariants"
    ][0]
    assert variant["serverlessConfig"] == {
        "memorySizeInMb": 6144,
        "maxConcurrency": 20,
        "provisionedConcurrency": 2,
    }
    assert "instanceType" not in variant
    container = one(graph, "aws:sagemaker/model:Model").inputs["primaryContainer"]
    assert "-cpu-" in container["image"]
    assert "eu-central-1" in container["image"]
    # Serverless endpoints take no rolling/blue-green configuration.
    assert "deploymentConfig" not in one(graph, "aws:sagemaker/endpoint:Endpoint").inputs
    outputs = component(graph, "inferplane:aws:SageMakerServerlessEndpoint").outputs
    assert outputs["endpoint"]["endpoint_name"] == "p-mistral-sl"
    assert outputs["endpoint"]["region"] == "eu-central-1"
    assert not untagged_aws(graph)
    assert not regionless(graph)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"memory_mb": 1500}, "memory_mb: 1500 is not allowed; allowed: 1024, 2048"),
        ({"memory_mb": 10240}, "memory_mb: 10240 is not allowed"),
        ({"max_concurrency": 0}, r"max_concurrency: 0 is out of range; allowed: 1\.\.200"),
        ({"max_concurrency": 201}, "max_concurrency: 201 is out of range"),
        (
            {"provisioned_concurrency": 21},
            r"provisioned_concurrency: 21 is out of range; allowed: 1\.\.20",
        ),
        ({"image": "vllm"}, "image: 'vllm' has no CPU container"),
        ({"kms_key_arn": "arn:aws:kms:eu-central-1:1:key/k"}, "kms_key_arn: serverless endpoints"),
    ],
)
def test_invalid_arguments(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        # Checked before anything registers: no engine needed to see the refusal.
        SageMakerServerlessEndpoint("x", replace(BASE, **change))
