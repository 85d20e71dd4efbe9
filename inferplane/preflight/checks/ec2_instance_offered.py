"""Each EC2 instance type of a GPU fleet exists, is offered in the region, and in every
zone of the fleet's subnets (``describe_instance_type_offerings``)."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code, error_message
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult
from inferplane.spec.targets import GpuFleetTarget

__all__ = ["NAME", "applies", "offered_zones", "run"]

NAME = "ec2-instance-offered"


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, GpuFleetTarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    assert isinstance(subject.target, GpuFleetTarget)
    fleet = subject.target
    zones, zone_problem = _fleet_zones(ctx, fleet)
    if zone_problem:
        yield CheckResult(NAME, subject.name, "fail", zone_problem)
        return
    for instance_type in (fleet.instance_type, *fleet.spot.instance_types):
        yield _check_type(ctx, subject.name, fleet.region, instance_type, zones)


def _check_type(
    ctx: PreflightContext, name: str, region: str, instance_type: str, zones: tuple[str, ...]
) -> CheckResult:
    try:
        ctx.aws("ec2", region, "describe_instance_types", InstanceTypes=[instance_type])
    except Exception as exc:
        if error_code(exc) == "InvalidInstanceType":
            return CheckResult(NAME, name, "fail", f"{instance_type}: {error_message(exc)}")
        raise
    offered = offered_zones(ctx, region, instance_type)
    if not offered:
        return CheckResult(NAME, name, "fail", f"{instance_type} is not offered in {region}")
    if zones:
        lacking = sorted(set(zones) - set(offered))
        if lacking:
            return CheckResult(
                NAME,
                name,
                "fail",
                f"{instance_type} is not offered in zone(s) {', '.join(lacking)} of the "
                f"fleet's subnets (offered in {', '.join(offered)})",
            )
        return CheckResult(
            NAME, name, "pass", f"{instance_type} offered in {region}, zones {', '.join(zones)}"
        )
    return CheckResult(
        NAME,
        name,
        "pass",
        f"{instance_type} offered in {region} (zones {', '.join(offered)}; default subnets "
        "in other zones will not launch it)",
    )


def offered_zones(ctx: PreflightContext, region: str, instance_type: str) -> tuple[str, ...]:
    def lookup() -> tuple[str, ...]:
        reply = ctx.aws(
            "ec2",
            region,
            "describe_instance_type_offerings",
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": [instance_type]}],
        )
        return tuple(sorted(o["Location"] for o in reply["InstanceTypeOfferings"]))

    result: tuple[str, ...] = ctx.memo(("offered-zones", region, instance_type), lookup)
    return result


def _fleet_zones(ctx: PreflightContext, fleet: GpuFleetTarget) -> tuple[tuple[str, ...], str]:
    """The zones of the fleet's subnets (empty: default subnets), or a problem."""
    subnets = fleet.network.subnet_ids
    if not subnets:
        return (), ""
    try:
        reply = ctx.aws("ec2", fleet.region, "describe_subnets", SubnetIds=list(subnets))
    except Exception as exc:
        if error_code(exc) == "InvalidSubnetID.NotFound":
            return (), f"subnets not found in {fleet.region}: {error_message(exc)}"
        raise
    return tuple(sorted({s["AvailabilityZone"] for s in reply["Subnets"]})), ""
