"""How a GPU fleet buys its capacity: an on-demand base (where capacity reservations
apply), spot above it spread over instance types and zones, and an on-demand fallback
group that fills what spot cannot.

The spot group is one Auto Scaling group with a mixed instances policy:
``OnDemandBaseCapacity`` instances always on demand, ``OnDemandPercentageAboveBaseCapacity``
of the rest on demand, the remainder on spot chosen by ``price-capacity-optimized`` (or
``capacity-optimized``) over every listed type of equal GPUs. Capacity rebalancing
launches a replacement when EC2 recommends it (before the two-minute interruption notice),
the instance maintenance policy launches before it terminates, and
``balanced-best-effort`` lets the group launch in another zone when one zone has no spot.

What the group does not do is trade spot for on-demand: when spot cannot be had, its
in-service count stays below its desired count. The fallback (SkyServe's "dynamic
on-demand fallback": on-demand replicas for the spot target minus the ready spot
replicas) is a second group, on demand only, in the same target group, whose size a
step-scaling policy sets to that shortfall: ``GroupDesiredCapacity -
GroupInServiceInstances`` of the spot group, read by a CloudWatch metric-math alarm. A
second alarm empties it when the shortfall has been zero for ``RECOVERY_MINUTES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from inferplane.catalog.spot_pool import spot_pool_issue

__all__ = [
    "ALLOCATIONS",
    "MAX_STEPS",
    "RECOVERY_MINUTES",
    "SHORTFALL_MINUTES",
    "CapacityMix",
    "OnDemandFallback",
    "check_capacity",
    "fallback_steps",
    "mixed_instances_policy",
]

ALLOCATIONS = ("price-capacity-optimized", "capacity-optimized")
SHORTFALL_MINUTES = 5
"""A shortfall this long is not a launch in progress (pending takes 1-3 minutes) but
capacity the spot pools cannot give."""
RECOVERY_MINUTES = 15
"""Spot must have filled the group this long before the fallback empties: spot that
comes back often goes again."""
MAX_STEPS = 20
"""Step adjustments per scaling policy (an Auto Scaling quota); a larger shortfall sets
the fallback to the group's maximum."""
_AUTOSCALING = "AWS/AutoScaling"


@dataclass(frozen=True)
class CapacityMix:
    """The market mix of a fleet (``GpuFleetArgs`` fields, gathered)."""

    instance_type: str
    extra_instance_types: tuple[str, ...]
    on_demand_base: int
    spot_percentage: int
    allocation: str
    on_demand_fallback: bool
    max_size: int

    @property
    def mixed(self) -> bool:
        return self.spot_percentage > 0 or bool(self.extra_instance_types)

    @property
    def fallback_max(self) -> int:
        """At most the instances that can be on spot: those above the base."""
        return max(self.max_size - self.on_demand_base, 0)


def check_capacity(mix: CapacityMix) -> None:
    if mix.allocation not in ALLOCATIONS:
        raise ValueError(
            f"spot_allocation: {mix.allocation!r} is not allowed; allowed: {', '.join(ALLOCATIONS)}"
        )
    issue = spot_pool_issue(mix.instance_type, mix.extra_instance_types)
    if issue is not None:
        raise ValueError(f"extra_instance_types: {issue}")
    if mix.on_demand_fallback and (mix.spot_percentage == 0 or mix.fallback_max == 0):
        raise ValueError(
            "on_demand_fallback: nothing runs on spot (spot_percentage"
            f" {mix.spot_percentage}, on_demand_base {mix.on_demand_base} of max_size"
            f" {mix.max_size}); allowed only with spot above the base"
        )


def mixed_instances_policy(
    mix: CapacityMix, template_id: pulumi.Input[str], version: pulumi.Input[str], *, spot: bool
) -> aws.autoscaling.GroupMixedInstancesPolicyArgs:
    """Every listed type from one launch template; ``spot`` False: all on demand (the
    fallback group), the primary type first."""
    group = aws.autoscaling
    return group.GroupMixedInstancesPolicyArgs(
        launch_template=group.GroupMixedInstancesPolicyLaunchTemplateArgs(
            launch_template_specification=group.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                launch_template_id=template_id, version=version
            ),
            overrides=[
                group.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t)
                for t in (mix.instance_type, *mix.extra_instance_types)
            ],
        ),
        instances_distribution=group.GroupMixedInstancesPolicyInstancesDistributionArgs(
            on_demand_base_capacity=mix.on_demand_base if spot else 0,
            on_demand_percentage_above_base_capacity=100 - mix.spot_percentage if spot else 100,
            # On demand, the order of the overrides: the primary type (and its
            # reservations) first, the others when it has no capacity.
            on_demand_allocation_strategy="prioritized",
            spot_allocation_strategy=mix.allocation,
        ),
    )


def fallback_steps(fallback_max: int) -> list[tuple[float | None, float | None, int]]:
    """(lower, upper, instances) over the shortfall minus the alarm's threshold (1): a
    shortfall of k instances sets the fallback group to k, up to ``fallback_max``."""
    top = min(fallback_max, MAX_STEPS)
    steps: list[tuple[float | None, float | None, int]] = [
        (float(k - 1), float(k), k) for k in range(1, top)
    ]
    steps.append((float(top - 1), None, top))
    return steps


class OnDemandFallback:
    """The on-demand group, its two step policies and their shortfall alarms."""

    group: aws.autoscaling.Group

    def __init__(
        self,
        name: str,
        *,
        mix: CapacityMix,
        spot_group: aws.autoscaling.Group,
        group_args: dict[str, Any],
        region: str,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        self.group = aws.autoscaling.Group(
            f"{name}-fallback-asg",
            min_size=0,
            max_size=mix.fallback_max,
            desired_capacity=0,
            **group_args,
            region=region,
            # The policies below own its size.
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(ignore_changes=["desired_capacity"])
            ),
        )
        fill = self._policy(f"{name}-fallback-fill", fallback_steps(mix.fallback_max), region, opts)
        empty = self._policy(f"{name}-fallback-empty", [(None, 0.0, 0)], region, opts)
        for alarm, comparison, minutes, policy in (
            ("spot-shortfall", "GreaterThanOrEqualToThreshold", SHORTFALL_MINUTES, fill),
            ("spot-restored", "LessThanThreshold", RECOVERY_MINUTES, empty),
        ):
            self._alarm(
                f"{name}-{alarm}",
                spot_group=spot_group,
                comparison=comparison,
                minutes=minutes,
                policy=policy,
                region=region,
                tags=tags,
                opts=opts,
            )

    def _policy(
        self,
        name: str,
        steps: list[tuple[float | None, float | None, int]],
        region: str,
        opts: pulumi.ResourceOptions,
    ) -> aws.autoscaling.Policy:
        return aws.autoscaling.Policy(
            name,
            autoscaling_group_name=self.group.name,
            policy_type="StepScaling",
            # The shortfall is a count of instances: set the group to it, not by it.
            adjustment_type="ExactCapacity",
            metric_aggregation_type="Maximum",
            estimated_instance_warmup=900,
            step_adjustments=[
                aws.autoscaling.PolicyStepAdjustmentArgs(
                    scaling_adjustment=size,
                    metric_interval_lower_bound=None if low is None else str(low),
                    metric_interval_upper_bound=None if high is None else str(high),
                )
                for low, high, size in steps
            ],
            region=region,
            opts=opts,
        )

    @staticmethod
    def _alarm(
        name: str,
        *,
        spot_group: aws.autoscaling.Group,
        comparison: str,
        minutes: int,
        policy: aws.autoscaling.Policy,
        region: str,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> aws.cloudwatch.MetricAlarm:
        def metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=_AUTOSCALING,
                    metric_name=metric_name,
                    dimensions={"AutoScalingGroupName": spot_group.name},
                    period=60,
                    stat="Average",
                ),
            )

        return aws.cloudwatch.MetricAlarm(
            name,
            alarm_description=(
                "inferplane: the spot group's desired minus in-service instances"
                f" ({comparison} 1 for {minutes} min) sets the on-demand fallback group"
            ),
            comparison_operator=comparison,
            threshold=1,
            evaluation_periods=minutes,
            datapoints_to_alarm=minutes,
            # No data (the group's metrics not yet published) changes no capacity.
            treat_missing_data="notBreaching",
            metric_queries=[
                metric("desired", "GroupDesiredCapacity"),
                metric("in_service", "GroupInServiceInstances"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="shortfall",
                    expression="desired - in_service",
                    label="spot shortfall (instances)",
                    return_data=True,
                ),
            ],
            alarm_actions=[policy.arn],
            region=region,
            tags=tags,
            opts=opts,
        )
