"""Named EC2 capacity reservations exist, are active, match the fleet's instance type and
zones, and have room for the fleet's on-demand base."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.aws import error_code
from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult
from inferplane.spec.targets import GpuFleetTarget

__all__ = ["NAME", "applies", "run"]

NAME = "capacity-reservation"


def applies(subject: Subject) -> bool:
    target = subject.target
    return isinstance(target, GpuFleetTarget) and bool(target.capacity.reservation_ids)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    assert isinstance(subject.target, GpuFleetTarget)
    fleet = subject.target
    ids = fleet.capacity.reservation_ids
    found = ctx.capacity.capacity_reservations(fleet.region, ids)
    zones = _subnet_zones(ctx, fleet)
    usable, broken = 0, False
    for rid in ids:
        reservation = found.get(rid)
        problem = None
        if reservation is None:
            problem = f"{rid} does not exist in {fleet.region} (or is not shared with you)"
        elif reservation.state != "active":
            problem = f"{rid} is {reservation.state}, not active"
        elif reservation.instance_type != fleet.instance_type:
            problem = (
                f"{rid} reserves {reservation.instance_type}; the fleet runs {fleet.instance_type}"
            )
        elif zones and reservation.availability_zone not in zones:
            problem = (
                f"{rid} is in {reservation.availability_zone}; the fleet's subnets are in "
                f"{', '.join(zones)}"
            )
        if problem:
            broken = True
            yield CheckResult(NAME, subject.name, "fail", problem)
            continue
        assert reservation is not None
        usable += reservation.available
        yield CheckResult(
            NAME,
            subject.name,
            "pass",
            f"{rid}: active, {reservation.instance_type} in {reservation.availability_zone}, "
            f"{reservation.available}/{reservation.total} available",
        )
    base = min(fleet.spot.on_demand_base, fleet.scaling.max)
    # Room is judged only when every reservation is usable; otherwise the problem above says it.
    if not broken and usable < base:
        yield CheckResult(
            NAME,
            subject.name,
            "fail",
            f"reservations have {usable} instance(s) available; the fleet's on-demand base "
            f"needs {base}",
        )


def _subnet_zones(ctx: PreflightContext, fleet: GpuFleetTarget) -> tuple[str, ...]:
    if not fleet.network.subnet_ids:
        return ()
    try:
        reply = ctx.aws(
            "ec2", fleet.region, "describe_subnets", SubnetIds=list(fleet.network.subnet_ids)
        )
    except Exception as exc:
        if error_code(exc) == "InvalidSubnetID.NotFound":
            return ()  # ec2-instance-offered reports the missing subnet
        raise
    return tuple(sorted({s["AvailabilityZone"] for s in reply["Subnets"]}))
