"""An Azure ML online endpoint's VM size is usable by the subscription in its region, and
the family's core quota has room for the endpoint at ``scaling.max``."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult, Status
from inferplane.spec.targets import AzureMlTarget

__all__ = ["NAME", "applies", "run"]

NAME = "azure-ml-quota"


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, AzureMlTarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    target = subject.target
    assert isinstance(target, AzureMlTarget)
    region, size = target.region, target.instance_type
    sku = ctx.memo(("azure-sku", region, size), lambda: ctx.azure.vm_sku(region, size))
    if sku is None:
        yield CheckResult(NAME, subject.name, "fail", f"{size} is not offered in {region}")
        return
    if sku.restricted:
        yield CheckResult(
            NAME,
            subject.name,
            "fail",
            f"{size} is restricted in {region} for this subscription ({sku.restricted}): ask "
            "for access or pick another size",
        )
        return
    usages = ctx.memo(("azure-ml-usages", region), lambda: ctx.azure.ml_usages(region))
    usage = usages.get(sku.family.lower())
    need = sku.vcpus * target.scaling.max
    if usage is None:
        yield CheckResult(
            NAME,
            subject.name,
            "could-not-check",
            f"no Azure ML quota listed for family {sku.family} in {region}",
        )
        return
    free = usage.limit - usage.current
    status: Status = "pass" if free >= need else "fail"
    yield CheckResult(
        NAME,
        subject.name,
        status,
        f"{sku.family} in {region}: {need} cores needed at scaling.max "
        f"({target.scaling.max} x {sku.vcpus}), {free} free of {usage.limit}"
        + ("" if status == "pass" else ": request a quota increase for Azure ML"),
    )
