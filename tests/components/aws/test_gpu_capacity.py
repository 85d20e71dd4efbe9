"""GPU fleet capacity: an on-demand base, spot over equal-GPU types and zones, and the
on-demand fallback group sized to the spot group's shortfall.

Recorded from the real component; each group, policy and alarm is turned into the API
request the provider sends and checked against botocore's input shapes (plus the enums
botocore ships, which ``ParamValidator`` does not check), then sent to moto's Auto
Scaling and CloudWatch, which keep the mixed instances policy and the metric math."""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cache
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from inferplane.components.aws.gpu_capacity import MAX_STEPS, fallback_steps
from inferplane.components.aws.gpu_fleet import GpuFleet, GpuFleetArgs
from inferplane.plan.graph import Resource
from tests.components.aws.fleets import BASE
from tests.components.aws.helpers import enum_of
from tests.support.recording import record

ASG = "aws:autoscaling/group:Group"
POLICY = "aws:autoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SPOT = replace(
    BASE,
    min_size=2,
    max_size=8,
    on_demand_base=2,
    spot_percentage=100,
    extra_instance_types=("g6.2xlarge", "g5.4xlarge"),
    spot_allocation="capacity-optimized",
    on_demand_fallback=True,
)


def build(args: GpuFleetArgs) -> dict[str, Resource]:
    graph = record(lambda: GpuFleet("llama", args))
    return {r.name: r for r in graph.resources if r.type in (ASG, POLICY, ALARM)}


def _int(value: Any) -> int:
    assert float(value).is_integer(), value
    return int(value)


def create_group(group: dict[str, Any], name: str) -> dict[str, Any]:
    """The recorded ``aws.autoscaling.Group`` inputs as CreateAutoScalingGroup."""
    request: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "MinSize": _int(group["minSize"]),
        "MaxSize": _int(group["maxSize"]),
        "DesiredCapacity": _int(group["desiredCapacity"]),
        "VPCZoneIdentifier": ",".join(group["vpcZoneIdentifiers"]),
        "TargetGroupARNs": group["targetGroupArns"],
        "HealthCheckType": group["healthCheckType"],
        "HealthCheckGracePeriod": _int(group["healthCheckGracePeriod"]),
        "DefaultInstanceWarmup": _int(group["defaultInstanceWarmup"]),
        "Tags": [
            {"Key": t["key"], "Value": t["value"], "PropagateAtLaunch": t["propagateAtLaunch"]}
            for t in group["tags"]
        ],
    }
    if "capacityRebalance" in group:
        request["CapacityRebalance"] = group["capacityRebalance"]
    mixed = group.get("mixedInstancesPolicy")
    if mixed:
        spec = mixed["launchTemplate"]["launchTemplateSpecification"]
        dist = mixed["instancesDistribution"]
        request["MixedInstancesPolicy"] = {
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateId": spec["launchTemplateId"],
                    "Version": spec["version"],
                },
                "Overrides": [
                    {"InstanceType": o["instanceType"]}
                    for o in mixed["launchTemplate"]["overrides"]
                ],
            },
            "InstancesDistribution": {
                "OnDemandAllocationStrategy": dist["onDemandAllocationStrategy"],
                "OnDemandBaseCapacity": _int(dist["onDemandBaseCapacity"]),
                "OnDemandPercentageAboveBaseCapacity": _int(
                    dist["onDemandPercentageAboveBaseCapacity"]
                ),
                "SpotAllocationStrategy": dist["spotAllocationStrategy"],
            },
        }
    maintenance = group.get("instanceMaintenancePolicy")
    if maintenance:
        request["InstanceMaintenancePolicy"] = {
            "MinHealthyPercentage": _int(maintenance["minHealthyPercentage"]),
            "MaxHealthyPercentage": _int(maintenance["maxHealthyPercentage"]),
        }
    zones = group.get("availabilityZoneDistribution")
    if zones:
        request["AvailabilityZoneDistribution"] = {
            "CapacityDistributionStrategy": zones["capacityDistributionStrategy"]
        }
    return request


def put_step_policy(policy: dict[str, Any], name: str) -> dict[str, Any]:
    steps = []
    for step in policy["stepAdjustments"]:
        item: dict[str, Any] = {"ScalingAdjustment": _int(step["scalingAdjustment"])}
        for key, api in (
            ("metricIntervalLowerBound", "MetricIntervalLowerBound"),
            ("metricIntervalUpperBound", "MetricIntervalUpperBound"),
        ):
            if key in step:
                item[api] = float(step[key])
        steps.append(item)
    return {
        "AutoScalingGroupName": policy["autoscalingGroupName"],
        "PolicyName": name,
        "PolicyType": policy["policyType"],
        "AdjustmentType": policy["adjustmentType"],
        "MetricAggregationType": policy["metricAggregationType"],
        "EstimatedInstanceWarmup": _int(policy["estimatedInstanceWarmup"]),
        "StepAdjustments": steps,
    }


def put_metric_alarm(alarm: dict[str, Any], name: str, policy_arn: str) -> dict[str, Any]:
    queries = []
    for query in alarm["metricQueries"]:
        item: dict[str, Any] = {"Id": query["id"], "ReturnData": query["returnData"]}
        if "expression" in query:
            item["Expression"] = query["expression"]
            item["Label"] = query["label"]
        else:
            metric = query["metric"]
            item["MetricStat"] = {
                "Metric": {
                    "Namespace": metric["namespace"],
                    "MetricName": metric["metricName"],
                    "Dimensions": [
                        {"Name": k, "Value": v} for k, v in metric["dimensions"].items()
                    ],
                },
                "Period": _int(metric["period"]),
                "Stat": metric["stat"],
            }
        queries.append(item)
    return {
        "AlarmName": name,
        "AlarmDescription": alarm["alarmDescription"],
        "ComparisonOperator": alarm["comparisonOperator"],
        "Threshold": float(alarm["threshold"]),
        "EvaluationPeriods": _int(alarm["evaluationPeriods"]),
        "DatapointsToAlarm": _int(alarm["datapointsToAlarm"]),
        "TreatMissingData": alarm["treatMissingData"],
        "Metrics": queries,
        "AlarmActions": [policy_arn],
    }


def validate(service: str, operation: str, request: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    assert shape is not None
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()


def _enum(service: str, shape: str) -> list[str]:
    model = botocore.session.get_session().get_service_model(service)
    return enum_of(model, shape)


def test_spot_group_is_a_valid_mixed_instances_request() -> None:
    found = build(SPOT)
    request = create_group(found["llama-asg"].inputs, "p-llama")
    validate("autoscaling", "CreateAutoScalingGroup", request)
    assert request["MixedInstancesPolicy"]["InstancesDistribution"] == {
        "OnDemandAllocationStrategy": "prioritized",
        "OnDemandBaseCapacity": 2,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": "capacity-optimized",
    }
    overrides = request["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == ["g5.2xlarge", "g6.2xlarge", "g5.4xlarge"]
    assert request["CapacityRebalance"] is True
    assert request["InstanceMaintenancePolicy"] == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 200,
    }
    strategy = request["AvailabilityZoneDistribution"]["CapacityDistributionStrategy"]
    assert strategy == "balanced-best-effort"
    assert strategy in _enum("autoscaling", "CapacityDistributionStrategy")
    assert len(request["VPCZoneIdentifier"].split(",")) == 2  # one private subnet per zone


def test_fallback_group_is_on_demand_in_the_same_target_group() -> None:
    found = build(SPOT)
    spot = create_group(found["llama-asg"].inputs, "p-llama")
    fallback = create_group(found["llama-fallback-asg"].inputs, "p-llama-fallback")
    validate("autoscaling", "CreateAutoScalingGroup", fallback)
    assert (fallback["MinSize"], fallback["MaxSize"], fallback["DesiredCapacity"]) == (0, 6, 0)
    assert fallback["MixedInstancesPolicy"]["InstancesDistribution"] == {
        "OnDemandAllocationStrategy": "prioritized",
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 100,
        "SpotAllocationStrategy": "capacity-optimized",
    }
    same = ("TargetGroupARNs", "VPCZoneIdentifier", "HealthCheckType", "HealthCheckGracePeriod")
    assert {k: fallback[k] for k in same} == {k: spot[k] for k in same}
    assert (
        fallback["MixedInstancesPolicy"]["LaunchTemplate"]
        == spot["MixedInstancesPolicy"]["LaunchTemplate"]
    )


def test_shortfall_alarm_sets_the_fallback_to_the_shortfall() -> None:
    found = build(SPOT)
    fill = put_step_policy(found["llama-fallback-fill"].inputs, "fill")
    empty = put_step_policy(found["llama-fallback-empty"].inputs, "empty")
    for request in (fill, empty):
        validate("autoscaling", "PutScalingPolicy", request)
        assert request["AutoScalingGroupName"] == "llama-fallback-asg"
        assert request["AdjustmentType"] == "ExactCapacity"
    assert fill["StepAdjustments"] == [
        {"ScalingAdjustment": k, "MetricIntervalLowerBound": k - 1.0, "MetricIntervalUpperBound": k}
        for k in range(1, 6)
    ] + [{"ScalingAdjustment": 6, "MetricIntervalLowerBound": 5.0}]
    assert empty["StepAdjustments"] == [{"ScalingAdjustment": 0, "MetricIntervalUpperBound": 0.0}]
    shortfall = found["llama-spot-shortfall"].inputs
    restored = found["llama-spot-restored"].inputs
    for alarm, policy in ((shortfall, fill), (restored, empty)):
        request = put_metric_alarm(alarm, "a", f"arn:policy/{policy['PolicyName']}")
        validate("cloudwatch", "PutMetricAlarm", request)
        assert request["ComparisonOperator"] in _enum("cloudwatch", "ComparisonOperator")
        metrics = {q["Id"]: q for q in request["Metrics"]}
        assert metrics["shortfall"]["Expression"] == "desired - in_service"
        # The shortfall is the spot group's own: fallback instances never mask it.
        for query in ("desired", "in_service"):
            dims = metrics[query]["MetricStat"]["Metric"]["Dimensions"]
            assert dims == [{"Name": "AutoScalingGroupName", "Value": "llama-asg"}]
    assert (shortfall["comparisonOperator"], shortfall["evaluationPeriods"]) == (
        "GreaterThanOrEqualToThreshold",
        5,
    )
    assert (restored["comparisonOperator"], restored["evaluationPeriods"]) == (
        "LessThanThreshold",
        15,
    )
    assert shortfall["alarmActions"] == [
        "arn:aws:autoscaling:us-east-1:123456789012:policy/llama-fallback-fill"
    ]


@pytest.mark.parametrize(
    ("fallback_max", "last"),
    [(1, [(0.0, None, 1)]), (3, [(2.0, None, 3)]), (100, [(MAX_STEPS - 1.0, None, MAX_STEPS)])],
)
def test_steps_cover_every_shortfall_up_to_the_quota(fallback_max: int, last: Any) -> None:
    steps = fallback_steps(fallback_max)
    assert steps[-1:] == last
    assert len(steps) == min(fallback_max, MAX_STEPS)
    # Contiguous from 0 (a shortfall of 1 minus the threshold 1) with no gap.
    bounds = [(low, high) for low, high, _ in steps]
    assert bounds[0][0] == 0.0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_no_fallback_and_no_spot_settings_without_spot() -> None:
    found = build(replace(BASE, spot_percentage=0))
    assert set(found) == {"llama-asg", "llama-requests-per-target"}
    group = found["llama-asg"].inputs
    assert group["capacityRebalance"] is False
    assert "availabilityZoneDistribution" not in group
    assert "instanceMaintenancePolicy" not in group


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra_instance_types": ("g6e.2xlarge",)}, "same GPU count and memory per GPU"),
        ({"extra_instance_types": ("g5.12xlarge",)}, "same GPU count and memory per GPU"),
        ({"extra_instance_types": ("g5.2xlarge",)}, "is the primary instance_type already"),
        ({"extra_instance_types": ("p3.2xlarge",)}, "no GPU memory in inferplane's accelerator"),
        ({"spot_allocation": "lowest-price"}, "spot_allocation: 'lowest-price' is not allowed"),
        ({"spot_percentage": 0}, "on_demand_fallback: nothing runs on spot"),
        ({"on_demand_base": 8}, "on_demand_fallback: nothing runs on spot"),
    ],
)
def test_refusals_name_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(replace(SPOT, **change))


@mock_aws
def test_moto_creates_both_groups_the_policies_and_the_alarms() -> None:
    found = build(SPOT)
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    template = ec2.create_launch_template(
        LaunchTemplateName="p-llama",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g5.2xlarge"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling = boto3.client("autoscaling", region_name="us-east-1")
    names = {"llama-asg": "p-llama", "llama-fallback-asg": "p-llama-fallback"}
    for key, name in names.items():
        request = create_group(found[key].inputs, name)
        request["VPCZoneIdentifier"] = ",".join(subnets)
        request["MixedInstancesPolicy"]["LaunchTemplate"]["LaunchTemplateSpecification"] = {
            "LaunchTemplateId": template,
            "Version": "1",
        }
        request.pop("TargetGroupARNs")  # no load balancer in this account
        autoscaling.create_auto_scaling_group(**request)
    groups = {
        g["AutoScalingGroupName"]: g
        for g in autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=list(names.values())
        )["AutoScalingGroups"]
    }
    spot = groups["p-llama"]
    distribution = spot["MixedInstancesPolicy"]["InstancesDistribution"]
    assert distribution["OnDemandBaseCapacity"] == 2
    assert distribution["OnDemandPercentageAboveBaseCapacity"] == 0
    assert distribution["SpotAllocationStrategy"] == "capacity-optimized"
    assert spot["CapacityRebalance"] is True
    assert len(spot["Instances"]) == 2
    fallback = groups["p-llama-fallback"]
    assert (fallback["MinSize"], fallback["MaxSize"], fallback["DesiredCapacity"]) == (0, 6, 0)
    fill = put_step_policy(found["llama-fallback-fill"].inputs, "fill")
    fill["AutoScalingGroupName"] = "p-llama-fallback"
    autoscaling.put_scaling_policy(**fill)
    [policy] = autoscaling.describe_policies(AutoScalingGroupName="p-llama-fallback")[
        "ScalingPolicies"
    ]
    assert policy["AdjustmentType"] == "ExactCapacity"
    assert len(policy["StepAdjustments"]) == 6
    arn = policy["PolicyARN"]
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    alarm = put_metric_alarm(found["llama-spot-shortfall"].inputs, "p-llama-spot-shortfall", arn)
    cloudwatch.put_metric_alarm(**alarm)
    [stored] = cloudwatch.describe_alarms(AlarmNames=["p-llama-spot-shortfall"])["MetricAlarms"]
    assert stored["AlarmActions"] == [arn]
    assert [m["Id"] for m in stored["Metrics"]] == ["desired", "in_service", "shortfall"]


def _fleet_spec(spot: dict[str, Any]) -> Any:
    from inferplane.spec import parse_spec
    from tests.conftest import stack_spec_data

    data = stack_spec_data("prod-us-east-1")
    data["targets"]["llama-fleet"]["spot"] = spot
    return parse_spec(data, "test", {"aws": "us-east-1"})


@pytest.mark.parametrize(
    ("spot", "message"),
    [
        ({"spot_percentage": 50, "instance_types": ["g6e.2xlarge"]}, "same GPU count and memory"),
        ({"on_demand_fallback": True}, "on_demand_fallback: the fleet runs no spot"),
        ({"spot_percentage": 50, "allocation": "lowest-price"}, "price-capacity-optimized"),
    ],
)
def test_the_spec_refuses_a_spot_block_the_fleet_cannot_run(
    spot: dict[str, Any], message: str
) -> None:
    from inferplane.errors import SpecError

    with pytest.raises(SpecError, match=message) as caught:
        _fleet_spec(spot)
    assert "targets.llama-fleet" in str(caught.value)


def test_the_spec_reaches_the_groups() -> None:
    from inferplane.deployment.aws import gpu_fleet
    from inferplane.deployment.context import DeployContext

    spec = _fleet_spec(
        {
            "on_demand_base": 2,
            "spot_percentage": 100,
            "instance_types": ["g6.2xlarge"],
            "allocation": "capacity-optimized",
            "on_demand_fallback": True,
        }
    )
    target = spec.targets["llama-fleet"]
    graph = record(lambda: gpu_fleet("llama-fleet", target, DeployContext(spec, "prod")))
    groups = {r.name: r.inputs for r in graph.by_type(ASG)}
    assert set(groups) == {"llama-fleet-asg", "llama-fleet-fallback-asg"}
    dist = groups["llama-fleet-asg"]["mixedInstancesPolicy"]["instancesDistribution"]
    assert dist["spotAllocationStrategy"] == "capacity-optimized"
    assert dist["onDemandPercentageAboveBaseCapacity"] == 0


def _size_for(steps: list[dict[str, Any]], metric: float, threshold: float) -> int:
    """What Auto Scaling does with a step policy: the one step whose interval holds
    ``metric - threshold`` (lower bound inclusive, upper exclusive)."""
    delta = metric - threshold
    matching = [
        s
        for s in steps
        if ("MetricIntervalLowerBound" not in s or s["MetricIntervalLowerBound"] <= delta)
        and ("MetricIntervalUpperBound" not in s or delta < s["MetricIntervalUpperBound"])
    ]
    assert len(matching) == 1, (metric, matching)
    size: int = matching[0]["ScalingAdjustment"]
    return size


@cache
def built_spot() -> dict[str, Resource]:
    return build(SPOT)


@pytest.mark.parametrize("shortfall", range(1, 10))
def test_each_shortfall_sets_the_fallback_to_itself_up_to_its_max(shortfall: int) -> None:
    found = built_spot()
    fill = put_step_policy(found["llama-fallback-fill"].inputs, "fill")
    alarm = found["llama-spot-shortfall"].inputs
    size = _size_for(fill["StepAdjustments"], shortfall, float(alarm["threshold"]))
    assert size == min(shortfall, 6)  # max_size 8 - on_demand_base 2
    empty = put_step_policy(found["llama-fallback-empty"].inputs, "empty")
    restored = found["llama-spot-restored"].inputs
    assert _size_for(empty["StepAdjustments"], 0.0, float(restored["threshold"])) == 0
