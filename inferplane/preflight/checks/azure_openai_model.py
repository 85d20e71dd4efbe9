"""The Azure OpenAI model (and version) a target deploys is offered in its region with the
deployment SKU the spec asks for, and is not past its inference deprecation date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.result import CheckResult, Status
from inferplane.spec.targets import AzureOpenAITarget

__all__ = ["NAME", "applies", "run"]

NAME = "azure-openai-model"


def applies(subject: Subject) -> bool:
    return isinstance(subject.target, AzureOpenAITarget)


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    target = subject.target
    assert isinstance(target, AzureOpenAITarget)
    region = target.region
    models = ctx.memo(("aoai", region), lambda: ctx.azure.openai_models(region))
    versions = [m for m in models if m.name == target.model]
    if not versions:
        yield _result(subject, "fail", f"{target.model} is not offered in {region}")
        return
    if target.model_version is not None:
        versions = [m for m in versions if m.version == target.model_version]
        if not versions:
            offered = ", ".join(sorted({m.version for m in models if m.name == target.model}))
            yield _result(
                subject,
                "fail",
                f"{target.model} version {target.model_version} is not offered in {region} "
                f"(offered: {offered})",
            )
            return
    with_sku = [m for m in versions if target.sku in m.skus]
    if not with_sku:
        skus = ", ".join(sorted({s for m in versions for s in m.skus})) or "none"
        yield _result(
            subject,
            "fail",
            f"{target.model} in {region} is not offered as {target.sku} (offered: {skus})",
        )
        return
    today = dt.date.today().isoformat()
    live = [m for m in with_sku if not m.inference_deprecation or m.inference_deprecation > today]
    if not live:
        ends = max(m.inference_deprecation or "" for m in with_sku)[:10]
        yield _result(subject, "fail", f"{target.model} stopped serving on {ends} in {region}")
        return
    version = live[0]
    ends = (
        f", serves until {version.inference_deprecation[:10]}"
        if version.inference_deprecation
        else ""
    )
    yield _result(
        subject, "pass", f"{target.model} {version.version} as {target.sku} in {region}{ends}"
    )


def _result(subject: Subject, status: Status, reason: str) -> CheckResult:
    return CheckResult(NAME, subject.name, status, reason)
