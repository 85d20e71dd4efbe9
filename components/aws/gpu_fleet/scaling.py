"""How the fleet's group follows load: target tracking on the engine's queue per instance
(published by the CloudWatch agent, ``queue_agent``) or on ALB requests per target."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_fleet.group import WARMUP_SECONDS
from inferplane.components.aws.gpu_fleet.queue_agent import QUEUE_NAMESPACE
from inferplane.components.aws.gpu_fleet.scope import FleetScope

__all__ = ["scaling_policy"]

_Tracking = aws.autoscaling.PolicyTargetTrackingConfigurationArgs


def scaling_policy(
    scope: FleetScope,
    group: aws.autoscaling.Group,
    balancer: aws.lb.LoadBalancer,
    target: aws.lb.TargetGroup,
) -> aws.autoscaling.Policy:
    """The group's one target-tracking policy."""
    args = scope.args
    queue = bool(args.queue_metric)
    return aws.autoscaling.Policy(
        f"{scope.name}-queue-per-instance" if queue else f"{scope.name}-requests-per-target",
        autoscaling_group_name=group.name,
        policy_type="TargetTrackingScaling",
        estimated_instance_warmup=WARMUP_SECONDS,
        target_tracking_configuration=_queue_tracking(scope)
        if queue
        else _request_tracking(scope, balancer, target),
        region=args.region,
        opts=scope.child(),
    )


def _queue_tracking(scope: FleetScope) -> _Tracking:
    args = scope.args
    metric = aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationArgs(
        metric_name=args.queue_metric,
        namespace=QUEUE_NAMESPACE,
        metric_dimensions=[
            aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricDimensionArgs(
                name="Fleet", value=args.name_prefix
            )
        ],
        # Every instance reports its own queue: the average is per instance.
        statistic="Average",
    )
    return _Tracking(target_value=args.target_queue, customized_metric_specification=metric)


def _request_tracking(
    scope: FleetScope, balancer: aws.lb.LoadBalancer, target: aws.lb.TargetGroup
) -> _Tracking:
    metric = aws.autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs(
        predefined_metric_type="ALBRequestCountPerTarget",
        resource_label=pulumi.Output.concat(balancer.arn_suffix, "/", target.arn_suffix),
    )
    return _Tracking(
        target_value=scope.args.target_requests, predefined_metric_specification=metric
    )
