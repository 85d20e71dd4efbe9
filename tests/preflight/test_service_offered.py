from __future__ import annotations

import pytest

from tests.preflight.conftest import HAIKU, FakeCapacity, preflight, spec_with


@pytest.mark.usefixtures("aws")
def test_services_offered_in_region_pass(capacity: FakeCapacity) -> None:
    spec = spec_with({"claude": {"kind": "bedrock", "region": "us-east-1", "model": HAIKU}})
    report = preflight(spec, capacity)
    (claude,) = report.of("service-offered", "claude")
    assert claude.status == "pass"
    (router,) = report.of("service-offered", "router")
    assert router.status == "pass"
    assert "lambda offered in us-east-1" in router.reason


@pytest.mark.usefixtures("aws")
def test_service_missing_in_region_fails(capacity: FakeCapacity) -> None:
    # moto's copy of the SSM public parameters has no Bedrock in ap-east-1 (Hong Kong).
    spec = spec_with(
        {"claude": {"kind": "bedrock", "region": "ap-east-1", "model": HAIKU}}, "ap-east-1"
    )
    report = preflight(spec, capacity, "ap-east-1")
    (result,) = report.of("service-offered", "claude")
    assert result.status == "fail"
    assert result.reason == "not offered in ap-east-1: bedrock"
    assert not report.ok


@pytest.mark.usefixtures("aws")
def test_lambda_target_needs_lambda_and_bedrock(capacity: FakeCapacity) -> None:
    spec = spec_with({"fn": {"kind": "lambda", "region": "ap-east-1", "model": HAIKU}}, "ap-east-1")
    (result,) = preflight(spec, capacity, "ap-east-1").of("service-offered", "fn")
    assert result.status == "fail"
    assert result.reason.endswith(": bedrock")
