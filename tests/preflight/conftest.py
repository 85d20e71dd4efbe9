from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from inferplane.preflight import AwsClients, FoundationModel, Report, Reservation, run_preflight
from inferplane.spec import parse_spec

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"

BASE: dict[str, Any] = {
    "environment": "prod",
    "owner": "ml-platform",
    "cost_center": "cc-1",
    "residency": {"zone": "world"},
    "data_classes": {"public": {"placement": "any"}},
    "router": {"platform": "lambda"},
}


def spec_with(targets: dict[str, Any], region: str = "us-east-1", **extra: Any) -> Any:
    data = copy.deepcopy(BASE)
    data["targets"] = targets
    data["routes"] = [{"name": "default", "targets": list(targets)}]
    data.update(extra)
    return parse_spec(data, "test", {"aws": region})


def fleet(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "gpu_fleet",
        "region": "us-east-1",
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "instance_type": "g5.2xlarge",
        "serving": {"engine": "vllm"},
        **extra,
    }


@dataclass
class FakeCapacity:
    """The adapter's protocol over plain dicts (moto has none of these APIs)."""

    ec2_quotas: dict[str, float] = field(default_factory=dict)
    sagemaker_quotas: dict[str, float] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    models: dict[str, FoundationModel] = field(default_factory=dict)
    profiles: frozenset[str] = frozenset()
    calls: list[str] = field(default_factory=list)

    def ec2_quota(self, region: str, quota_code: str) -> float | None:
        self.calls.append(f"ec2_quota {region} {quota_code}")
        return self.ec2_quotas.get(quota_code)

    def sagemaker_quota(self, region: str, quota_name: str) -> float | None:
        return self.sagemaker_quotas.get(quota_name)

    def capacity_reservations(self, region: str, ids: tuple[str, ...]) -> dict[str, Reservation]:
        return {rid: self.reservations[rid] for rid in ids if rid in self.reservations}

    def foundation_models(self, region: str) -> dict[str, FoundationModel]:
        self.calls.append(f"foundation_models {region}")
        return self.models

    def inference_profiles(self, region: str) -> frozenset[str]:
        return self.profiles


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS API it has, validating instance types against its region data."""
    from moto import mock_aws

    monkeypatch.setenv("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def hub_server() -> Iterator[tuple[str, list[str]]]:
    from tests.support.fake_hub import fake_hub

    with fake_hub() as served:
        yield served


@pytest.fixture(autouse=True)
def hub(hub_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> str:
    """Every preflight test (CLI subprocesses included) asks the loopback Hub, never the
    internet."""
    monkeypatch.setenv("HF_ENDPOINT", hub_server[0])
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return hub_server[0]


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere botocore looks: environment, files, instance metadata."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def capacity() -> FakeCapacity:
    return FakeCapacity(
        models={HAIKU: FoundationModel(HAIKU, ("ON_DEMAND", "PROVISIONED"))},
        profiles=frozenset({f"us.{HAIKU}", f"eu.{HAIKU}"}),
    )


def preflight(spec: Any, capacity: FakeCapacity, region: str = "us-east-1") -> Report:
    return run_preflight(spec, "test", {"aws": region}, AwsClients(), capacity)


def check(module: Any, spec: Any, capacity: FakeCapacity, region: str = "us-east-1") -> list[Any]:
    """Only ``module``'s results, for every subject it applies to (no other checks run)."""
    from inferplane.preflight.context import PreflightContext, subjects

    ctx = PreflightContext(spec, AwsClients(), capacity)
    return [
        result
        for subject in subjects(spec, {"aws": region})
        if module.applies(subject)
        for result in module.run(ctx, subject)
    ]


def outcomes(
    module: Any, spec: Any, capacity: FakeCapacity, regions: dict[str, str], **apis: Any
) -> list[tuple[str, str]]:
    """``(status, reason)`` of ``module``'s check on every subject it applies to, run as
    the runner runs it (``timed``: an error becomes could-not-check); ``apis`` are the
    cloud APIs of the context (``azure=``, ``gcp=``)."""
    from functools import partial

    from inferplane.preflight.context import PreflightContext, subjects
    from inferplane.preflight.result import timed

    ctx = PreflightContext(spec, AwsClients(), capacity, **apis)
    return [
        (r.status, r.reason)
        for s in subjects(spec, regions)
        if module.applies(s)
        for r in timed(module.NAME, s.name, partial(module.run, ctx, s))
    ]


def shipped_statuses(stack_name: str, capacity: FakeCapacity, **apis: Any) -> dict[Any, str]:
    """``{(check, subject): status}`` of the whole preflight of a shipped stack."""
    from inferplane.spec import load_stack, provider_regions
    from tests.conftest import ROOT

    stack = load_stack(ROOT, stack_name)
    report = run_preflight(
        stack.spec, stack.name, provider_regions(stack.config), AwsClients(), capacity, **apis
    )
    return {(r.check, r.subject): r.status for r in report.results}
