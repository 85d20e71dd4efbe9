from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest

from inferplane.preflight.checks import gpu_quota
from tests.preflight.conftest import FakeCapacity, check, fleet, spec_with

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import InstanceTypeType

pytestmark = pytest.mark.usefixtures("aws")

G_QUOTA = "L-DB2E81BA"
G_SPOT_QUOTA = "L-3819A6DF"


def _run_instances(instance_type: InstanceTypeType, count: int) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, InstanceType=instance_type, MinCount=count, MaxCount=count)


def test_headroom_for_max_size_passes(capacity: FakeCapacity) -> None:
    capacity.ec2_quotas[G_QUOTA] = 64
    spec = spec_with({"fleet": fleet(scaling={"min": 1, "max": 8})})
    (result,) = check(gpu_quota, spec, capacity)
    assert result.status == "pass"
    assert "quota 64 vCPU, 0 in use, 64 free; 8 x g5.2xlarge on-demand at max size needs 64" in (
        result.reason
    )


def test_running_instances_eat_the_headroom(capacity: FakeCapacity) -> None:
    capacity.ec2_quotas[G_QUOTA] = 64
    _run_instances("g4dn.xlarge", 2)  # same G/VT group: 2 x 4 vCPU
    _run_instances("m5.large", 3)  # another group: not counted
    spec = spec_with({"fleet": fleet(scaling={"min": 1, "max": 8})})
    (result,) = check(gpu_quota, spec, capacity)
    assert result.status == "fail"
    assert "8 in use, 56 free" in result.reason
    assert result.reason.endswith("request an increase")


def test_spot_share_is_checked_against_the_spot_quota(capacity: FakeCapacity) -> None:
    capacity.ec2_quotas.update({G_QUOTA: 64, G_SPOT_QUOTA: 16})
    spec = spec_with(
        {
            "fleet": fleet(
                scaling={"min": 2, "max": 8}, spot={"on_demand_base": 2, "spot_percentage": 50}
            )
        }
    )
    on_demand, spot = check(gpu_quota, spec, capacity)
    assert on_demand.status == "pass"
    assert "5 x g5.2xlarge on-demand" in on_demand.reason
    assert spot.status == "fail"
    assert "3 x g5.2xlarge spot at max size needs 24" in spot.reason


def test_the_on_demand_fallback_needs_on_demand_quota_for_every_spot_instance(
    capacity: FakeCapacity,
) -> None:
    capacity.ec2_quotas.update({G_QUOTA: 48, G_SPOT_QUOTA: 64})
    spot = {"on_demand_base": 2, "spot_percentage": 50, "on_demand_fallback": True}
    spec = spec_with({"fleet": fleet(scaling={"min": 2, "max": 8}, spot=spot)})
    on_demand, spot_result = check(gpu_quota, spec, capacity)
    # Without the fallback 5 on-demand instances (40 vCPU) would fit in 48.
    assert on_demand.status == "fail"
    assert "8 x g5.2xlarge on-demand at max size needs 64" in on_demand.reason
    assert spot_result.status == "pass"


def test_quota_without_value_could_not_be_checked(capacity: FakeCapacity) -> None:
    (result,) = check(gpu_quota, spec_with({"fleet": fleet()}), capacity)
    assert result.status == "could-not-check"
    assert G_QUOTA in result.reason


def test_family_without_known_quota_could_not_be_checked(
    capacity: FakeCapacity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferplane.preflight.checks import gpu_quota as module

    monkeypatch.delitem(module.ON_DEMAND_QUOTAS, "g")
    (result,) = check(gpu_quota, spec_with({"fleet": fleet(instance_type="g5.2xlarge")}), capacity)
    assert result.status == "could-not-check"
    assert "no on-demand vCPU quota known" in result.reason


@pytest.mark.parametrize(
    ("quota", "status"), [(4.0, "pass"), (3.0, "fail"), (None, "could-not-check")]
)
def test_sagemaker_endpoint_quota(capacity: FakeCapacity, quota: float | None, status: str) -> None:
    if quota is not None:
        capacity.sagemaker_quotas["ml.g5.2xlarge for endpoint usage"] = quota
    endpoint = {
        "kind": "sagemaker",
        "region": "us-east-1",
        "model": "m",
        "instance_type": "ml.g5.2xlarge",
        "scaling": {"min": 1, "max": 4},
    }
    (result,) = check(gpu_quota, spec_with({"sm": endpoint}), capacity)
    assert result.status == status


@pytest.mark.parametrize(
    ("instance_type", "code"),
    [
        ("g5.2xlarge", G_QUOTA),
        ("vt1.3xlarge", G_QUOTA),
        ("p4d.24xlarge", "L-417A185B"),
        ("inf2.xlarge", "L-1216C47A"),
        ("trn1.2xlarge", "L-2C3B7624"),
        ("m5.large", None),
    ],
)
def test_quota_groups(instance_type: str, code: str | None) -> None:
    group = gpu_quota.quota_group(gpu_quota.ON_DEMAND_QUOTAS, instance_type)
    assert (group[1] if group else None) == code
