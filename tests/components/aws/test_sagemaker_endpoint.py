from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import pytest

from inferplane.components.aws.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from tests.components.aws.helpers import (
    LABELS,
    component,
    regionless,
    statement_resources,
    untagged_aws,
)
from tests.support.recording import one, record

MISTRAL = "mistralai/Mistral-7B-Instruct-v0.3"
BASE = SageMakerEndpointArgs(
    region="us-east-1",
    model_id=MISTRAL,
    labels=LABELS,
    name_prefix="p-mistral",
    instance_type="ml.g5.2xlarge",
    min_instances=1,
    max_instances=4,
)
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"


def build(args: SageMakerEndpointArgs) -> Any:
    return record(lambda: SageMakerEndpoint("mistral", args))


def test_realtime_endpoint_resources_and_outputs() -> None:
    graph = build(BASE)
    assert graph.type_counts() == {
        "inferplane:aws:SageMakerEndpoint": 1,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:sagemaker/model:Model": 1,
        CONFIG: 1,
        "aws:cloudwatch/metricAlarm:MetricAlarm": 1,
        "aws:sagemaker/endpoint:Endpoint": 1,
        "aws:appautoscaling/target:Target": 1,
        SCALING_POLICY: 1,
    }
    model = one(graph, "aws:sagemaker/model:Model")
    container = model.inputs["primaryContainer"]
    assert container["image"] == (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
        "2.7.0-tgi3.3.4-gpu-py311-cu124-ubuntu22.04"
    )
    assert container["environment"]["HF_MODEL_ID"] == MISTRAL
    variant = one(graph, CONFIG).inputs["productionVariants"][0]
    assert variant["instanceType"] == "ml.g5.2xlarge"
    assert variant["initialInstanceCount"] == 1
    outputs = component(graph, "inferplane:aws:SageMakerEndpoint").outputs
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/p-mistral"
    assert outputs["endpoint"] == {
        "backend": "sagemaker",
        "model": MISTRAL,
        "endpoint_name": "p-mistral",
        "region": "us-east-1",
        "auth": {"scheme": "sigv4", "service": "sagemaker"},
        "reach": {"path": "cloud_api", "service": "sagemaker.runtime"},
        "grants": [
            {
                "cloud": "aws",
                "actions": [
                    "sagemaker:InvokeEndpoint",
                    "sagemaker:InvokeEndpointWithResponseStream",
                ],
                "resources": [arn],
            }
        ],
    }
    assert outputs["invoke_arns"] == [arn]
    assert not untagged_aws(graph)
    assert not regionless(graph)


def test_role_is_scoped_to_the_image_repository_and_endpoint_logs() -> None:
    graph = build(BASE)
    resources = statement_resources(one(graph, "aws:iam/rolePolicy:RolePolicy"))
    assert resources == [
        "arn:aws:ecr:us-east-1:763104351884:repository/huggingface-pytorch-tgi-inference",
        "*",  # ecr:GetAuthorizationToken accepts nothing else
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/p-mistral",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/p-mistral:log-stream:*",
    ]


@pytest.mark.parametrize(("protect", "disabled"), [(True, True), (False, False)])
def test_target_tracking_on_invocations_per_instance(protect: bool, disabled: bool) -> None:
    graph = build(replace(BASE, target_value=20, scale_in_protection=protect))
    target = one(graph, "aws:appautoscaling/target:Target")
    assert target.inputs["resourceId"] == "endpoint/p-mistral/variant/primary"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 4)
    tracking = one(graph, SCALING_POLICY).inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "SageMakerVariantInvocationsPerInstance"
    )
    assert tracking["targetValue"] == 20
    assert tracking["disableScaleIn"] is disabled


def test_fixed_size_has_no_autoscaling() -> None:
    graph = build(replace(BASE, max_instances=1))
    assert not graph.by_type("aws:appautoscaling/target:Target")


def test_data_capture_in_region_and_kms_only_where_allowed() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    graph = build(replace(BASE, data_capture=True, kms_key_arn=key))
    config = one(graph, CONFIG).inputs
    # ml.g5 has NVMe instance storage: AWS rejects an ML-storage key for it.
    assert "kmsKeyArn" not in config
    capture = config["dataCaptureConfig"]
    assert capture["destinationS3Uri"] == "s3://mistral-capture/capture"
    assert capture["kmsKeyId"] == key
    assert one(graph, "aws:s3/bucket:Bucket").inputs["region"] == "us-east-1"


def test_ml_storage_key_on_instances_without_local_storage() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/custom-llm:1.0"
    graph = build(replace(BASE, instance_type="ml.m5.xlarge", image=image, kms_key_arn=key))
    assert one(graph, CONFIG).inputs["kmsKeyArn"] == key
    assert one(graph, "aws:sagemaker/model:Model").inputs["primaryContainer"]["image"] == image


def test_async_mode_output_bucket_sns_and_scale_from_zero() -> None:
    graph = build(replace(BASE, mode="async", min_instances=0, async_notifications=True))
    output = one(graph, CONFIG).inputs["asyncInferenceConfig"]["outputConfig"]
    assert output["s3OutputPath"] == "s3://mistral-async/output"
    assert output["notificationConfig"]["successTopic"].endswith(":topic/mistral-success")
    assert len(graph.by_type("aws:sns/topic:Topic")) == 2
    policies = {p.inputs["policyType"] for p in graph.by_type(SCALING_POLICY)}
    assert policies == {"TargetTrackingScaling", "StepScaling"}
    tracking = next(
        p
        for p in graph.by_type(SCALING_POLICY)
        if p.inputs["policyType"] == "TargetTrackingScaling"
    ).inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["customizedMetricSpecification"]["metricName"] == (
        "ApproximateBacklogSizePerInstance"
    )


@pytest.mark.parametrize(
    ("deployment", "policy"),
    [("rolling", "rollingUpdatePolicy"), ("blue_green", "blueGreenUpdatePolicy")],
)
def test_deployment_config_rolls_back_on_5xx(
    deployment: Literal["rolling", "blue_green"], policy: str
) -> None:
    graph = build(replace(BASE, deployment=deployment))
    config = one(graph, "aws:sagemaker/endpoint:Endpoint").inputs["deploymentConfig"]
    assert policy in config
    [alarm] = config["autoRollbackConfiguration"]["alarms"]
    assert alarm["alarmName"] == "p-mistral-invocation-5xx"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instance_type": "ml.g5.3xlarge"}, "instance_type: 'ml.g5.3xlarge' is not allowed"),
        ({"instance_type": "g5.2xlarge"}, "instance_type: 'g5.2xlarge' is not allowed"),
        ({"mode": "batch"}, "mode: 'batch' is not allowed"),
        ({"deployment": "yolo"}, "deployment: 'yolo' is not allowed"),
        ({"min_instances": 0}, r"min_instances: 0 is out of range; allowed: 1\.\.1000"),
        ({"min_instances": 5}, r"max_instances: 4 is out of range; allowed: 5\.\.1000"),
        ({"initial_instances": 5}, r"initial_instances: 5 is out of range; allowed: 1\.\.4"),
        ({"min_instances": 2}, "initial_instances: 1 is below min_instances"),
        ({"target_value": 0.0}, "target_value: 0.0 must be > 0"),
        ({"capture_percent": 0}, "capture_percent: 0 is out of range"),
        ({"startup_timeout_s": 10}, "startup_timeout_s: 10 is out of range"),
        ({"async_notifications": True}, "async_notifications: only for mode 'async'"),
        (
            {"image": "docker.io/vllm/vllm-openai:latest"},
            "is neither tgi, vllm, lmi nor an ECR image URI",
        ),
        (
            {"image": "tgi", "instance_type": "ml.inf2.xlarge"},
            "image: 'tgi' has no NEURON container",
        ),
        (
            {"image_tag": "x", "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/r:1"},
            "image_tag: only for",
        ),
        (
            {"model_data": "https://example.com/model.tar.gz"},
            "model_data: 'https://example.com/model.tar.gz' is not an s3",
        ),
        ({"kms_key_arn": "alias/mine"}, "kms_key_arn: 'alias/mine' is not a KMS key ARN"),
        ({"region": "mars-1"}, "region: 'mars-1' is not an AWS region"),
        ({"model_id": ""}, "model_id: empty"),
    ],
)
def test_invalid_arguments(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        # Checked before anything registers: no engine needed to see the refusal.
        SageMakerEndpoint("x", replace(BASE, **change))
