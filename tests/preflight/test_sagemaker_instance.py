from __future__ import annotations

import pytest

from inferplane.errors import SpecError
from inferplane.preflight.checks import sagemaker_instance
from tests.preflight.conftest import FakeCapacity, check, spec_with

pytestmark = pytest.mark.usefixtures("aws")


def _endpoint(instance_type: str, region: str = "us-east-1") -> dict[str, object]:
    return {
        "kind": "sagemaker",
        "region": region,
        "model": "Qwen/Qwen2.5-1.5B-Instruct",
        "instance_type": instance_type,
    }


def test_valid_type_offered_in_region_passes(capacity: FakeCapacity) -> None:
    (result,) = check(sagemaker_instance, spec_with({"sm": _endpoint("ml.g5.2xlarge")}), capacity)
    assert result.status == "pass"


def test_type_sagemaker_does_not_know_is_refused_before_preflight() -> None:
    # The spec checks SageMaker types against botocore's enum, so preflight never sees one.
    with pytest.raises(SpecError, match=r"targets\.sm\.instance_type"):
        spec_with({"sm": _endpoint("ml.g5.3xlarge")})


def test_hardware_missing_in_region_fails(capacity: FakeCapacity) -> None:
    spec = spec_with({"sm": _endpoint("ml.p5.48xlarge", "eu-west-1")}, "eu-west-1")
    (result,) = check(sagemaker_instance, spec, capacity, "eu-west-1")
    assert result.status == "fail"
    assert "EC2 offers no p5.48xlarge in eu-west-1" in result.reason
