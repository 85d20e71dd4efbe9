from __future__ import annotations

import boto3
import pytest

from inferplane.errors import SpecError
from inferplane.preflight.checks import ec2_instance_offered
from tests.preflight.conftest import FakeCapacity, check, fleet, spec_with

pytestmark = pytest.mark.usefixtures("aws")


def _subnet(region: str, zone: str) -> str:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return str(
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
    )


def test_offered_in_region_passes(capacity: FakeCapacity) -> None:
    (result,) = check(ec2_instance_offered, spec_with({"fleet": fleet()}), capacity)
    assert result.status == "pass"
    assert "g5.2xlarge offered in us-east-1" in result.reason


def test_not_offered_in_region_fails(capacity: FakeCapacity) -> None:
    # moto's offerings snapshot: p5.48xlarge is in us-east-1 but not in eu-west-1.
    spec = spec_with({"fleet": fleet(region="eu-west-1", instance_type="p5.48xlarge")}, "eu-west-1")
    (result,) = check(ec2_instance_offered, spec, capacity, "eu-west-1")
    assert result.status == "fail"
    assert result.reason == "p5.48xlarge is not offered in eu-west-1"


def test_subnet_zone_without_the_type_fails(capacity: FakeCapacity) -> None:
    # g5.2xlarge is offered in us-east-1a-d and f, not in us-east-1e.
    subnet = _subnet("us-east-1", "us-east-1e")
    spec = spec_with(
        {"fleet": fleet(network={"vpc_id": "vpc-0a1b2c3d4e5f60718", "subnet_ids": [subnet]})}
    )
    (result,) = check(ec2_instance_offered, spec, capacity)
    assert result.status == "fail"
    assert "not offered in zone(s) us-east-1e" in result.reason


def test_subnet_zone_with_the_type_passes(capacity: FakeCapacity) -> None:
    subnet = _subnet("us-east-1", "us-east-1a")
    spec = spec_with(
        {"fleet": fleet(network={"vpc_id": "vpc-0a1b2c3d4e5f60718", "subnet_ids": [subnet]})}
    )
    (result,) = check(ec2_instance_offered, spec, capacity)
    assert result.status == "pass"
    assert result.reason.endswith("zones us-east-1a")


def test_unknown_subnet_fails(capacity: FakeCapacity) -> None:
    spec = spec_with(
        {
            "fleet": fleet(
                network={
                    "vpc_id": "vpc-0a1b2c3d4e5f60718",
                    "subnet_ids": ["subnet-0000000000000dead"],
                }
            )
        }
    )
    (result,) = check(ec2_instance_offered, spec, capacity)
    assert result.status == "fail"
    assert result.reason.startswith("subnets not found in us-east-1")


def test_nonexistent_type_is_refused_before_preflight() -> None:
    # The spec checks instance types against botocore's list, so preflight never sees one.
    with pytest.raises(SpecError, match=r"targets\.fleet\.instance_type"):
        spec_with({"fleet": fleet(instance_type="g99.huge")})


def test_every_spot_type_is_checked(capacity: FakeCapacity) -> None:
    spec = spec_with(
        {
            "fleet": fleet(
                # Spot types share the primary's GPUs (one 24 GiB GPU each).
                spot={"instance_types": ["g5.4xlarge", "g6.2xlarge"], "spot_percentage": 50}
            )
        },
    )
    results = check(ec2_instance_offered, spec, capacity)
    assert [r.status for r in results] == ["pass", "pass", "pass"]
    assert "g6.2xlarge" in results[2].reason
