"""The fleet's capacity: the Auto Scaling group (an on-demand base with spot above it over
types of equal GPUs, ``gpu_capacity``), its optional on-demand fallback group and warm
pool, the capacity reservations it targets, and a reservation the stack creates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pulumi
import pulumi_aws as aws

from inferplane.components.aws.gpu_capacity import OnDemandFallback, mixed_instances_policy
from inferplane.components.aws.gpu_fleet.checks import capacity_mix
from inferplane.components.aws.gpu_fleet.scope import FleetScope

__all__ = ["auto_scaling_group", "created_reservation"]

WARMUP_SECONDS = 900
"""Model download and load take minutes: health checks and scaling wait this long."""


def created_reservation(scope: FleetScope) -> aws.ec2.CapacityReservation | None:
    """The targeted reservation the stack creates, if the arguments ask for one."""
    args, created = scope.args, scope.args.created_reservation
    if created is None:
        return None
    zone: pulumi.Input[str] = created.availability_zone or (
        aws.get_availability_zones_output(
            state="available", region=args.region, opts=scope.invoke()
        ).names.apply(lambda names: names[0])
    )
    tags = dict(scope.tags)
    if created.end_date is not None:
        tags["capacity-end-date"] = created.end_date.isoformat()
    if created.approval:
        tags["capacity-approval"] = created.approval
    return aws.ec2.CapacityReservation(
        f"{scope.name}-reservation",
        instance_type=args.instance_type,
        instance_platform="Linux/UNIX",
        availability_zone=zone,
        instance_count=created.instance_count,
        # Targeted: only this group's instances consume it.
        instance_match_criteria="targeted",
        end_date_type="limited" if created.end_date else "unlimited",
        end_date=_end_of_day(created.end_date) if created.end_date else None,
        ebs_optimized=True,
        region=args.region,
        tags=tags,
        opts=scope.child(),
    )


def auto_scaling_group(
    scope: FleetScope,
    template: aws.ec2.LaunchTemplate,
    subnets: pulumi.Output[list[str]],
    target: aws.lb.TargetGroup,
    created: aws.ec2.CapacityReservation | None,
) -> aws.autoscaling.Group:
    """The serving group (and, if asked, the on-demand group covering spot's shortfall)."""
    args = scope.args
    # Each new template version is a new group input: that starts an instance refresh.
    version = template.latest_version.apply(str)
    mix = capacity_mix(args)
    spot = args.spot_percentage > 0
    serving = _serving_group(scope, subnets, target, spot)
    group = aws.autoscaling.Group(
        f"{scope.name}-asg",
        min_size=args.min_size,
        max_size=args.max_size,
        desired_capacity=args.desired if args.desired is not None else args.min_size,
        **_launch(scope, template, version),
        # Spot: replace an instance at EC2's rebalance recommendation, in whichever
        # zone has capacity.
        capacity_rebalance=spot,
        availability_zone_distribution=_zone_distribution(spot),
        capacity_reservation_specification=_reservation_spec(scope, created),
        warm_pool=_warm_pool(scope),
        region=args.region,
        # Target tracking owns the running size; a later deploy must not reset it.
        opts=scope.child(ignore_changes=["desired_capacity"]),
        **serving,
    )
    if args.on_demand_fallback:
        fallback_policy = mixed_instances_policy(mix, template.id, version, spot=False)
        OnDemandFallback(
            scope.name,
            mix=mix,
            spot_group=group,
            group_args={"mixed_instances_policy": fallback_policy, **serving},
            region=args.region,
            tags=scope.tags,
            opts=scope.child(),
        )
    return group


def _launch(
    scope: FleetScope, template: aws.ec2.LaunchTemplate, version: pulumi.Output[str]
) -> dict[str, Any]:
    """One launch template, or a mixed-instances policy over the template's types."""
    mix = capacity_mix(scope.args)
    if mix.mixed:
        policy = mixed_instances_policy(mix, template.id, version, spot=True)
        return {"launch_template": None, "mixed_instances_policy": policy}
    single = aws.autoscaling.GroupLaunchTemplateArgs(id=template.id, version=version)
    return {"launch_template": single, "mixed_instances_policy": None}


def _zone_distribution(spot: bool) -> aws.autoscaling.GroupAvailabilityZoneDistributionArgs | None:
    if not spot:
        return None
    return aws.autoscaling.GroupAvailabilityZoneDistributionArgs(
        capacity_distribution_strategy="balanced-best-effort"
    )


def _warm_pool(scope: FleetScope) -> aws.autoscaling.GroupWarmPoolArgs | None:
    """Stopped instances whose weights are already on disk, reused on scale-in."""
    if not scope.args.warm_pool:
        return None
    return aws.autoscaling.GroupWarmPoolArgs(
        pool_state="Stopped",
        min_size=0,
        instance_reuse_policy=aws.autoscaling.GroupWarmPoolInstanceReusePolicyArgs(
            reuse_on_scale_in=True
        ),
    )


def _serving_group(
    scope: FleetScope, subnets: pulumi.Output[list[str]], target: aws.lb.TargetGroup, spot: bool
) -> dict[str, Any]:
    """What the spot group and its on-demand fallback share: subnets over the zones,
    the ALB target group, health checks, refresh and maintenance."""
    return {
        "vpc_zone_identifiers": subnets,
        "target_group_arns": [target.arn],
        "health_check_type": "ELB",
        # ELB checks start after this grace.
        "health_check_grace_period": WARMUP_SECONDS,
        "default_instance_warmup": WARMUP_SECONDS,
        "instance_refresh": _instance_refresh(scope),
        "instance_maintenance_policy": _launch_before_terminate(spot),
        "enabled_metrics": [
            aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
            aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
        ],
        "tags": [
            aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=False)
            for k, v in scope.tags.items()
        ],
    }


def _instance_refresh(scope: FleetScope) -> aws.autoscaling.GroupInstanceRefreshArgs:
    """Rolling, rolled back on failure; a group that can grow keeps full capacity."""
    scales = scope.args.max_size > scope.args.min_size
    return aws.autoscaling.GroupInstanceRefreshArgs(
        strategy="Rolling",
        preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
            min_healthy_percentage=100 if scales else 50,
            max_healthy_percentage=200 if scales else 100,
            instance_warmup=str(WARMUP_SECONDS),
            skip_matching=True,
            auto_rollback=True,
        ),
    )


def _launch_before_terminate(
    spot: bool,
) -> aws.autoscaling.GroupInstanceMaintenancePolicyArgs | None:
    """Replacing a rebalanced or unhealthy spot instance: launch first, then terminate,
    so serving capacity never dips while a model loads."""
    if not spot:
        return None
    return aws.autoscaling.GroupInstanceMaintenancePolicyArgs(
        min_healthy_percentage=100, max_healthy_percentage=200
    )


def _reservation_spec(
    scope: FleetScope, created: aws.ec2.CapacityReservation | None
) -> aws.autoscaling.GroupCapacityReservationSpecificationArgs | None:
    target = scope.args.reservation
    if created is not None:
        ids: pulumi.Input[list[str]] = created.id.apply(lambda rid: [rid])
        preference = "capacity-reservations-first"
    elif target is not None and target.preference != "open":
        ids, preference = list(target.reservation_ids), target.preference
    else:
        return None  # no reservation, or "open" (set on the launch template)
    return aws.autoscaling.GroupCapacityReservationSpecificationArgs(
        capacity_reservation_preference=preference,
        capacity_reservation_target=aws.autoscaling.GroupCapacityReservationSpecificationCapacityReservationTargetArgs(
            capacity_reservation_ids=ids
        ),
    )


def _end_of_day(day: dt.date) -> str:
    """RFC 3339 end of ``day`` in UTC (AWS ends a limited reservation at that time)."""
    return f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
