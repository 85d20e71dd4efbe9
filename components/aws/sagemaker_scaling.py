"""How a SageMaker endpoint's variant follows load: target tracking on invocations or
concurrent requests per instance (real-time) or on the backlog per instance (async), and
for an async endpoint at zero instances, the step policy that starts the first one."""

from __future__ import annotations

from typing import Protocol

import pulumi
import pulumi_aws as aws
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationArgs as _Customized,
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationDimensionArgs as _Dimension,  # noqa: E501
)
from pulumi_aws.appautoscaling import (
    PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs as _Predefined,
)

__all__ = ["VARIANT", "ScalingArgs", "variant_autoscaling"]

VARIANT = "primary"
_Tracking = aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
# Real-time scaling signal -> (predefined metric, default target per instance, scale-out
# cooldown in seconds). The concurrency metric is published every 10 s: scale out within
# a minute.
_REALTIME = {
    "invocations": ("SageMakerVariantInvocationsPerInstance", 10.0, 120),
    "concurrency": ("SageMakerVariantConcurrentRequestsPerModelHighResolution", 4.0, 60),
}


class ScalingArgs(Protocol):
    """What scaling reads of ``SageMakerEndpointArgs``."""

    @property
    def region(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def min_instances(self) -> int: ...
    @property
    def max_instances(self) -> int: ...
    @property
    def target_value(self) -> float | None: ...
    @property
    def scaling_signal(self) -> str: ...
    @property
    def scale_in_protection(self) -> bool: ...


def variant_autoscaling(
    owner: pulumi.ComponentResource,
    name: str,
    endpoint: aws.sagemaker.Endpoint,
    args: ScalingArgs,
    tags: dict[str, str],
) -> None:
    """Scale the endpoint's variant between ``min_instances`` and ``max_instances``."""
    if args.min_instances == args.max_instances:
        return
    opts = pulumi.ResourceOptions(parent=owner)
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="sagemaker",
        resource_id=pulumi.Output.concat("endpoint/", endpoint.name, f"/variant/{VARIANT}"),
        scalable_dimension="sagemaker:variant:DesiredInstanceCount",
        min_capacity=args.min_instances,
        max_capacity=args.max_instances,
        region=args.region,
        tags=tags,
        opts=opts,
    )
    aws.appautoscaling.Policy(
        f"{name}-scaling-policy",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        target_tracking_scaling_policy_configuration=_tracking(args, endpoint),
        region=args.region,
        opts=opts,
    )
    if args.mode == "async" and args.min_instances == 0:
        _scale_from_zero(owner, name, target, endpoint, region=args.region, tags=tags)


def _tracking(args: ScalingArgs, endpoint: aws.sagemaker.Endpoint) -> _Tracking:
    if args.mode != "realtime":
        return _backlog_tracking(args, endpoint)
    metric, default_target, scale_out_cooldown = _REALTIME[args.scaling_signal]
    return _Tracking(
        target_value=args.target_value or default_target,
        predefined_metric_specification=_Predefined(predefined_metric_type=metric),
        disable_scale_in=args.scale_in_protection,
        scale_in_cooldown=600,
        scale_out_cooldown=scale_out_cooldown,
    )


def _backlog_tracking(args: ScalingArgs, endpoint: aws.sagemaker.Endpoint) -> _Tracking:
    return _Tracking(
        target_value=args.target_value or 5.0,
        customized_metric_specification=_Customized(
            namespace="AWS/SageMaker",
            metric_name="ApproximateBacklogSizePerInstance",
            dimensions=[_Dimension(name="EndpointName", value=endpoint.name)],
            statistic="Average",
        ),
        disable_scale_in=args.scale_in_protection,
        scale_in_cooldown=600,
        scale_out_cooldown=120,
    )


def _scale_from_zero(
    owner: pulumi.ComponentResource,
    name: str,
    target: aws.appautoscaling.Target,
    endpoint: aws.sagemaker.Endpoint,
    *,
    region: str,
    tags: dict[str, str],
) -> None:
    # With no instances the backlog per instance is undefined, so target tracking
    # never starts the first one: a step policy on HasBacklogWithoutCapacity does.
    step = aws.appautoscaling.Policy(
        f"{name}-scale-from-zero",
        policy_type="StepScaling",
        service_namespace=target.service_namespace,
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        step_scaling_policy_configuration=aws.appautoscaling.PolicyStepScalingPolicyConfigurationArgs(
            adjustment_type="ChangeInCapacity",
            metric_aggregation_type="Average",
            cooldown=300,
            step_adjustments=[
                aws.appautoscaling.PolicyStepScalingPolicyConfigurationStepAdjustmentArgs(
                    scaling_adjustment=1, metric_interval_lower_bound="0"
                )
            ],
        ),
        region=region,
        opts=pulumi.ResourceOptions(parent=owner),
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-backlog-without-capacity",
        namespace="AWS/SageMaker",
        metric_name="HasBacklogWithoutCapacity",
        dimensions={"EndpointName": endpoint.name},
        statistic="Average",
        period=60,
        evaluation_periods=2,
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="missing",
        alarm_actions=[step.arn],
        region=region,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=owner),
    )
