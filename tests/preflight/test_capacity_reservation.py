from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from inferplane.preflight import Reservation
from inferplane.preflight.checks import capacity_reservation
from tests.preflight.conftest import FakeCapacity, check, fleet, spec_with

pytestmark = pytest.mark.usefixtures("aws")

CR = "cr-0a1b2c3d4e5f60718"


def _fleet(**extra: object) -> dict[str, object]:
    return fleet(
        scaling={"min": 2, "max": 4},
        spot={"on_demand_base": 2},
        capacity={"mode": "reserved", "reservation_ids": [CR]},
        **extra,
    )


def _reservation(**change: Any) -> Reservation:
    active = Reservation(CR, "g5.2xlarge", "us-east-1a", "active", total=2, available=2)
    return replace(active, **change)


def test_matching_reservation_passes(capacity: FakeCapacity) -> None:
    capacity.reservations[CR] = _reservation()
    (result,) = check(capacity_reservation, spec_with({"fleet": _fleet()}), capacity)
    assert result.status == "pass"
    assert result.reason == f"{CR}: active, g5.2xlarge in us-east-1a, 2/2 available"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "expired"}, "is expired, not active"),
        ({"instance_type": "g5.xlarge"}, "reserves g5.xlarge; the fleet runs g5.2xlarge"),
    ],
)
def test_mismatched_reservation_fails(
    capacity: FakeCapacity, change: dict[str, object], reason: str
) -> None:
    capacity.reservations[CR] = _reservation(**change)
    results = check(capacity_reservation, spec_with({"fleet": _fleet()}), capacity)
    assert results[0].status == "fail"
    assert reason in results[0].reason


def test_missing_reservation_fails(capacity: FakeCapacity) -> None:
    (result,) = check(capacity_reservation, spec_with({"fleet": _fleet()}), capacity)
    assert result.status == "fail"
    assert "does not exist in us-east-1" in result.reason


def test_reservation_outside_the_fleet_zones_fails(capacity: FakeCapacity) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24", AvailabilityZone="us-east-1b")
    capacity.reservations[CR] = _reservation()
    spec = spec_with(
        {"fleet": _fleet(network={"vpc_id": vpc, "subnet_ids": [subnet["Subnet"]["SubnetId"]]})}
    )
    (result,) = check(capacity_reservation, spec, capacity)
    assert result.status == "fail"
    assert "is in us-east-1a; the fleet's subnets are in us-east-1b" in result.reason


def test_too_little_room_for_the_on_demand_base_fails(capacity: FakeCapacity) -> None:
    capacity.reservations[CR] = _reservation(available=1)
    found, room = check(capacity_reservation, spec_with({"fleet": _fleet()}), capacity)
    assert found.status == "pass"
    assert room.status == "fail"
    assert "1 instance(s) available; the fleet's on-demand base needs 2" in room.reason
