"""SageMaker target tracking, recorded from the real component and checked against
botocore's Application Auto Scaling ``PutScalingPolicy`` input shape (the request the
provider sends), including the metric-type enum botocore ships."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from inferplane.components.aws.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from tests.components.aws.helpers import LABELS, enum_of
from tests.support.recording import record

BASE = SageMakerEndpointArgs(
    region="us-east-1",
    model_id="mistralai/Mistral-7B-Instruct-v0.3",
    labels=LABELS,
    name_prefix="p-mistral",
    instance_type="ml.g5.2xlarge",
    min_instances=1,
    max_instances=4,
)


def api_shape(value: Any) -> Any:
    """Pulumi's camelCase wire inputs as the API's PascalCase members; numbers that are
    whole stay ints where botocore wants integers (cooldowns)."""
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: api_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    return value


def put_scaling_policy(args: SageMakerEndpointArgs) -> dict[str, Any]:
    graph = record(lambda: SageMakerEndpoint("mistral", args))
    [found] = [
        r
        for r in graph.by_type("aws:appautoscaling/policy:Policy")
        if r.name == "mistral-scaling-policy"
    ]
    policy = found.inputs
    tracking = api_shape(policy["targetTrackingScalingPolicyConfiguration"])
    for key in ("ScaleInCooldown", "ScaleOutCooldown"):
        tracking[key] = int(tracking[key])
    return {
        "PolicyName": "mistral-scaling-policy",
        "ServiceNamespace": policy["serviceNamespace"],
        "ResourceId": policy["resourceId"],
        "ScalableDimension": policy["scalableDimension"],
        "PolicyType": policy["policyType"],
        "TargetTrackingScalingPolicyConfiguration": tracking,
    }


def validate(params: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    shape = model.operation_model("PutScalingPolicy").input_shape
    assert shape is not None
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    metric = params["TargetTrackingScalingPolicyConfiguration"].get("PredefinedMetricSpecification")
    if metric:  # ParamValidator does not check enums; the service would
        assert metric["PredefinedMetricType"] in enum_of(model, "MetricType")


def test_concurrency_tracks_concurrent_requests_per_model_at_high_resolution() -> None:
    params = put_scaling_policy(replace(BASE, scaling_signal="concurrency"))
    validate(params)
    assert params["TargetTrackingScalingPolicyConfiguration"] == {
        "TargetValue": 4,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"
        },
        "DisableScaleIn": False,
        "ScaleInCooldown": 600,
        "ScaleOutCooldown": 60,
    }
    assert params["ResourceId"] == "endpoint/p-mistral/variant/primary"
    assert params["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"


@pytest.mark.parametrize(
    "args",
    [
        replace(BASE, target_value=20),
        replace(BASE, scaling_signal="concurrency", target_value=8, scale_in_protection=True),
        replace(BASE, mode="async", min_instances=0),
    ],
    ids=["invocations", "concurrency", "async-backlog"],
)
def test_every_policy_is_a_valid_put_scaling_policy(args: SageMakerEndpointArgs) -> None:
    validate(put_scaling_policy(args))


def test_a_misspelt_member_fails_the_shape() -> None:
    params = put_scaling_policy(BASE)
    params["TargetTrackingScalingPolicyConfiguration"]["TargetVal"] = 1.0
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    shape = model.operation_model("PutScalingPolicy").input_shape
    assert shape is not None
    report = ParamValidator().validate(params, shape)
    assert "TargetVal" in report.generate_report()


def _spec(**changes: Any) -> Any:
    from inferplane.spec import parse_spec
    from tests.conftest import stack_spec_data

    data = stack_spec_data("prod-us-east-1")
    data["targets"]["mistral-sm"].update(changes)
    return parse_spec(data, "test", {"aws": "us-east-1"})


def test_the_spec_chooses_concurrency_and_its_target() -> None:
    from inferplane.deployment.aws import sagemaker
    from inferplane.deployment.context import DeployContext
    from inferplane.spec.targets.aws import SageMakerTarget

    spec = _spec(scaling_signal="concurrency")
    target = spec.targets["mistral-sm"]
    assert isinstance(target, SageMakerTarget)
    graph = record(lambda: sagemaker("mistral-sm", target, DeployContext(spec, "prod")))
    [policy] = graph.by_type("aws:appautoscaling/policy:Policy")
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"
    }
    assert tracking["targetValue"] == 20  # the stack's scaling.target
    assert tracking["disableScaleIn"] is True  # prod


def test_an_async_endpoint_cannot_track_concurrency() -> None:
    from inferplane.errors import SpecError

    with pytest.raises(SpecError, match="an async endpoint scales on its backlog"):
        _spec(mode="async", scaling_signal="concurrency")
