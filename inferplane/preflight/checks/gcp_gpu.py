"""A GCP GPU target (Vertex AI endpoint, Cloud Run service) can get its GPUs: the GPU type
is offered in the region (Vertex: some zone of it lists the accelerator) and the project's
GPU quota for that service covers the target at ``scaling.max``.

The quota is found by metric name in Cloud Quotas (see ``inferplane.preflight.gcp``); a
quota that is not found is could-not-check, naming the pattern looked for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from inferplane.preflight.context import PreflightContext, Subject
from inferplane.preflight.gcp import QuotaInfo
from inferplane.preflight.result import CheckResult, Status
from inferplane.spec.targets import CloudRunTarget, VertexTarget

__all__ = ["NAME", "GpuNeed", "applies", "need", "run"]

NAME = "gcp-gpu"


@dataclass(frozen=True)
class GpuNeed:
    """GPUs a target needs at ``scaling.max`` and where its quota lives."""

    compute_name: str
    """Compute Engine's name of the GPU type (``nvidia-l4``)."""
    gpus: int
    service: str
    metric: re.Pattern[str]
    """Matches the last segment of the quota's metric name."""


def need(subject: Subject) -> GpuNeed | None:
    target = subject.target
    if isinstance(target, VertexTarget):
        accelerator = target.gpus_per_replica
        if accelerator is None:
            return None
        kind, count = accelerator
        name = kind.lower().replace("_", "-")
        spot = "preemptible_" if target.spot else ""
        tokens = "|".join(re.escape(t) for t in _tokens(name))
        return GpuNeed(
            name,
            count * target.scaling.max,
            "aiplatform.googleapis.com",
            re.compile(rf"serving_{spot}({tokens})_gpus$"),
        )
    if isinstance(target, CloudRunTarget) and target.gpu is not None:
        tokens = "|".join(re.escape(t) for t in _tokens(target.gpu.type))
        return GpuNeed(
            target.gpu.type,
            target.gpu.count * target.scaling.max,
            "run.googleapis.com",
            re.compile(rf"^({tokens})_gpu_allocation$"),
        )
    return None


def _tokens(compute_name: str) -> tuple[str, ...]:
    """Metric spellings of a GPU type: ``nvidia-tesla-t4`` -> nvidia_tesla_t4, nvidia_t4."""
    token = compute_name.replace("-", "_")
    return (token, token.replace("_tesla_", "_")) if "_tesla_" in token else (token,)


def applies(subject: Subject) -> bool:
    return need(subject) is not None


def run(ctx: PreflightContext, subject: Subject) -> Iterator[CheckResult]:
    wanted = need(subject)
    region = subject.region
    assert wanted is not None
    assert region is not None
    if isinstance(subject.target, VertexTarget):
        zones = ctx.memo(
            ("gcp-zones", region, wanted.compute_name),
            lambda: ctx.gcp.accelerator_zones(region, wanted.compute_name),
        )
        if not zones:
            yield CheckResult(
                NAME,
                subject.name,
                "fail",
                f"{wanted.compute_name} is offered in no zone of {region}",
            )
            return
    quotas: list[QuotaInfo] = ctx.memo(
        ("gcp-quotas", wanted.service), lambda: ctx.gcp.quota_infos(wanted.service)
    )
    yield _quota_result(subject.name, region, wanted, quotas)


def _quota_result(name: str, region: str, wanted: GpuNeed, quotas: list[QuotaInfo]) -> CheckResult:
    found = [q for q in quotas if wanted.metric.search(q.metric.rsplit("/", 1)[-1])]
    if not found:
        return CheckResult(
            NAME,
            name,
            "could-not-check",
            f"no {wanted.service} quota metric matching {wanted.metric.pattern!r} in Cloud "
            f"Quotas; look for the {wanted.compute_name} quota in the console's Quotas page",
        )
    quota = found[0]
    limit = quota.in_region(region)
    if limit is None:
        return CheckResult(
            NAME, name, "could-not-check", f"{quota.metric} has no value for {region}"
        )
    status: Status = "pass" if limit >= wanted.gpus else "fail"
    return CheckResult(
        NAME,
        name,
        status,
        f"{wanted.compute_name} in {region}: {wanted.gpus} GPUs needed at scaling.max, quota "
        f"{limit} ({quota.metric})" + ("" if status == "pass" else ": request a quota increase"),
    )
