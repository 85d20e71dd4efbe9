"""Serverless targets: SageMaker serverless endpoints, Cloud Run services, Container Apps."""

from __future__ import annotations

import math

from inferplane.cost.assumptions import (
    CLOUD_RUN_GPU_TOKENS_PER_S,
    HOURS_PER_MONTH,
    SERVERLESS_CPU_TOKENS_PER_S,
)
from inferplane.cost.model import LineItem, TargetCost
from inferplane.cost.prices import PriceTable
from inferplane.cost.usage import TargetUsage
from inferplane.spec.targets import CloudRunTarget, ContainerAppTarget, SageMakerServerlessTarget

__all__ = ["cloud_run", "container_app", "sagemaker_serverless"]


def sagemaker_serverless(
    name: str, target: SageMakerServerlessTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    duration = usage.output_tokens / SERVERLESS_CPU_TOKENS_PER_S
    what = f"serverless {target.memory_mb} MB x {duration:g} s per request (assumed)"
    items: list[LineItem] = []
    price = prices.lookup("sagemaker", "serverless", target.region, "gb_second")
    if usage.requests is None:
        items.append(LineItem(name, "sagemaker_serverless", what, None, "no forecast in the spec"))
    elif price is None:
        items.append(
            LineItem(
                name,
                "sagemaker_serverless",
                what,
                None,
                f"no serverless GB-second price in {target.region}",
            )
        )
    else:
        gb_s = usage.requests * duration * target.memory_mb / 1024
        items.append(
            LineItem(
                name,
                "sagemaker_serverless",
                what,
                gb_s * price.usd,
                f"{usage.requests:,.0f} req x {duration:g} s x {target.memory_mb / 1024:g} GB"
                f" x ${price.usd}/GB-s ({SERVERLESS_CPU_TOKENS_PER_S:g} tokens/s on CPU)",
            )
        )
    if target.provisioned_concurrency:
        items.append(
            LineItem(
                name,
                "sagemaker_serverless",
                f"provisioned concurrency {target.provisioned_concurrency}",
                None,
                "no provisioned-concurrency price in the table",
            )
        )
    return TargetCost(items)


def cloud_run(
    name: str, target: CloudRunTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    kind = "cloud_run"
    cpu = LineItem(name, kind, "vCPU and memory", None, "no Cloud Run CPU/memory price in table")
    if target.gpu is None:
        return TargetCost([cpu])
    price = prices.lookup(kind, target.gpu.type, target.region, "gpu_hour")
    what = f"{target.gpu.type} GPU-hours"
    if price is None:
        return TargetCost(
            [LineItem(name, kind, what, None, f"no price for {target.gpu.type}"), cpu]
        )
    floor = target.scaling.min * HOURS_PER_MONTH
    if usage.requests is None:
        busy, basis = 0.0, "no forecast: min instances only"
    else:
        seconds = usage.requests * usage.output_tokens / CLOUD_RUN_GPU_TOKENS_PER_S
        busy = math.ceil(seconds / target.concurrency / 3600)
        basis = (
            f"max({target.scaling.min} min x {HOURS_PER_MONTH} h, {usage.requests:,.0f} req x "
            f"{usage.output_tokens / CLOUD_RUN_GPU_TOKENS_PER_S:g} s / concurrency "
            f"{target.concurrency})"
        )
    hours = max(floor, busy)
    item = LineItem(name, kind, what, hours * price.usd, f"{basis} = {hours:,.0f} h x ${price.usd}")
    return TargetCost([item, cpu])


def container_app(
    name: str, target: ContainerAppTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    profile = target.gpu_profile or "consumption"
    return TargetCost(
        [LineItem(name, "container_app", profile, None, "no Container Apps price in the table")]
    )
