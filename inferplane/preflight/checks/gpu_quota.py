"""Quota headroom for what a target needs at its maximum size.

GPU fleets: EC2 quotas are vCPUs per instance family group (on-demand and spot separately);
headroom is the quota (Service Quotas, via the adapter) minus the vCPUs of instances already
running in that group (EC2). SageMaker endpoints: the per-instance-type quota
``<type> for endpoint usage`` against ``scaling.max``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult
from inferplane.spec.targets import GpuFleetTarget, SageMakerTarget

__all__ = ["NAME", "ON_DEMAND_QUOTAS", "SPOT_QUOTAS", "applies", "quota_group", "run"]

NAME = "quota-headroom"

# Family prefix -> (quota group name, quota code). Longest prefix wins (``inf`` vs ``i``).
ON_DEMAND_QUOTAS: dict[str, tuple[str, str]] = {
    "g": ("Running On-Demand G and VT instances", "L-DB2E81BA"),
    "vt": ("Running On-Demand G and VT instances", "L-DB2E81BA"),
    "p": ("Running On-Demand P instances", "L-417A185B"),
    "inf": ("Running On-Demand Inf instances", "L-1216C47A"),
    "trn": ("Running On-Demand Trn instances", "L-2C3B7624"),
    "dl": ("Running On-Demand DL instances", "L-6E869C2A"),
}
SPOT_QUOTAS: dict[str, tuple[str, str]] = {
    "g": ("All G and VT Spot Instance Requests", "L-3819A6DF"),
    "vt": ("All G and VT Spot Instance Requests", "L-3819A6DF"),
    "p": ("All P Spot Instance Requests", "L-7212CCBC"),
}


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, GpuFleetTarget | SageMakerTarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    if isinstance(subject.target, SageMakerTarget):
        yield _sagemaker(ctx, subject.name, subject.target)
        return
    assert isinstance(subject.target, GpuFleetTarget)
    fleet = subject.target
    on_demand, spot = _max_split(fleet)
    for count, quotas, market in (
        (on_demand, ON_DEMAND_QUOTAS, "on-demand"),
        (spot, SPOT_QUOTAS, "spot"),
    ):
        if count:
            yield _ec2(ctx, subject.name, fleet, count=count, quotas=quotas, market=market)


def _max_split(fleet: GpuFleetTarget) -> tuple[int, int]:
    """On-demand and spot instances at ``scaling.max``. With the on-demand fallback every
    spot instance may run on demand instead (spot reclaimed everywhere at peak), so the
    on-demand quota must hold the whole maximum."""
    top = fleet.scaling.max
    base = min(fleet.spot.on_demand_base, top)
    spot = math.floor((top - base) * fleet.spot.spot_percentage / 100)
    return (top if fleet.spot.on_demand_fallback else top - spot), spot


def quota_group(
    family_quotas: dict[str, tuple[str, str]], instance_type: str
) -> tuple[str, str] | None:
    family = instance_type.split(".", 1)[0]
    for prefix in sorted(family_quotas, key=len, reverse=True):
        if family.startswith(prefix) and family[len(prefix) : len(prefix) + 1].isdigit():
            return family_quotas[prefix]
    return None


def _ec2(
    ctx: PreflightContext,
    name: str,
    fleet: GpuFleetTarget,
    *,
    count: int,
    quotas: dict[str, tuple[str, str]],
    market: str,
) -> CheckResult:
    group = quota_group(quotas, fleet.instance_type)
    if group is None:
        return CheckResult(
            NAME,
            name,
            "could-not-check",
            f"no {market} vCPU quota known for {fleet.instance_type}'s family",
        )
    label, code = group
    quota = ctx.capacity.ec2_quota(fleet.region, code)
    if quota is None:
        return CheckResult(
            NAME, name, "could-not-check", f"Service Quotas returned no value for {code} ({label})"
        )
    need = count * _vcpus(ctx, fleet.region, fleet.instance_type)
    used = _running_vcpus(ctx, fleet.region, quotas, group, market)
    headroom = quota - used
    numbers = (
        f"{label} ({code}): quota {quota:g} vCPU, {used:g} in use, {headroom:g} free; "
        f"{count} x {fleet.instance_type} {market} at max size needs {need:g}"
    )
    if headroom < need:
        return CheckResult(NAME, name, "fail", f"{numbers}; request an increase")
    return CheckResult(NAME, name, "pass", numbers)


def _vcpus(ctx: PreflightContext, region: str, instance_type: str) -> int:
    def lookup() -> int:
        reply = ctx.aws("ec2", region, "describe_instance_types", InstanceTypes=[instance_type])
        return int(reply["InstanceTypes"][0]["VCpuInfo"]["DefaultVCpus"])

    vcpus: int = ctx.memo(("vcpus", region, instance_type), lookup)
    return vcpus


def _running_vcpus(
    ctx: PreflightContext,
    region: str,
    quotas: dict[str, tuple[str, str]],
    group: tuple[str, str],
    market: str,
) -> float:
    """vCPUs of running/pending instances in the same quota group and market."""
    used = 0.0
    token: str | None = None
    while True:
        kwargs: dict[str, object] = {
            "Filters": [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
        }
        if token:
            kwargs["NextToken"] = token
        reply = ctx.aws("ec2", region, "describe_instances", **kwargs)
        for reservation in reply.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                is_spot = instance.get("InstanceLifecycle") == "spot"
                if is_spot != (market == "spot"):
                    continue
                if quota_group(quotas, instance["InstanceType"]) == group:
                    used += _vcpus(ctx, region, instance["InstanceType"])
        token = reply.get("NextToken")
        if not token:
            return used


def _sagemaker(ctx: PreflightContext, name: str, target: SageMakerTarget) -> CheckResult:
    quota_name = f"{target.instance_type} for endpoint usage"
    quota = ctx.capacity.sagemaker_quota(target.region, quota_name)
    if quota is None:
        return CheckResult(
            NAME,
            name,
            "could-not-check",
            f"Service Quotas has no {quota_name!r} in {target.region}",
        )
    need = target.scaling.max
    detail = (
        f"{quota_name!r}: quota {quota:g}, max size needs {need} (endpoints already using "
        "this type count against it too)"
    )
    return CheckResult(NAME, name, "pass" if quota >= need else "fail", detail)
