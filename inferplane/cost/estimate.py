"""A stack's monthly estimate: one estimator per target kind, plus the router."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inferplane.cost import instances, onprem, serverless, tokens
from inferplane.cost.assumptions import (
    CLOUD_RUN_GPU_TOKENS_PER_S,
    LAMBDA_DURATION_S,
    ROUTER_DURATION_S,
    SERVERLESS_CPU_TOKENS_PER_S,
    SPOT_FALLBACK_SHARE,
    STATE_ECPUS_PER_REQUEST,
)
from inferplane.cost.model import LineItem, StackEstimate, TargetCost
from inferplane.cost.prices import PriceTable, default_prices
from inferplane.cost.router_state import router_state
from inferplane.cost.usage import TargetUsage, primary_target, usage_of
from inferplane.spec import KINDS, StackSpec
from inferplane.spec.targets import GpuFleetTarget

__all__ = ["ESTIMATORS", "estimate_stack"]

Estimator = Callable[[str, Any, TargetUsage, PriceTable], TargetCost]

ESTIMATORS: dict[str, Estimator] = {
    "bedrock": tokens.bedrock,
    "azure_openai": tokens.azure_openai,
    "lambda": tokens.lambda_function,
    "sagemaker": instances.sagemaker,
    "gpu_fleet": instances.gpu_fleet,
    "vertex": instances.vertex,
    "azure_ml": instances.azure_ml,
    "sagemaker_serverless": serverless.sagemaker_serverless,
    "cloud_run": serverless.cloud_run,
    "container_app": serverless.container_app,
    "edge": onprem.edge,
    "kubernetes": onprem.kubernetes,
}
assert set(ESTIMATORS) == set(KINDS), "every target kind needs an estimator"


def estimate_stack(
    spec: StackSpec,
    stack: str,
    provider_regions: dict[str, str] | None = None,
    prices: PriceTable | None = None,
) -> StackEstimate:
    """Monthly cost of ``spec`` from its forecast and the price table."""
    table = prices or default_prices()
    items: list[LineItem] = []
    cost = TargetCost()
    for name, target in spec.targets.items():
        part = ESTIMATORS[target.kind](name, target, usage_of(spec, name), table)
        cost.items.extend(part.items)
        cost.commitments.extend(part.commitments)
    regions = provider_regions or {}
    items = [*cost.items, _router(spec, regions, table), *router_state(spec, regions, table)]
    return StackEstimate(
        stack=stack,
        as_of=table.as_of,
        items=tuple(items),
        commitments=tuple(cost.commitments),
        assumptions=_assumptions(spec),
    )


def _router(spec: StackSpec, provider_regions: dict[str, str], table: PriceTable) -> LineItem:
    router = spec.router
    if router.platform == "edge":
        return LineItem("router", "router", "router at the edge", None, "owned hardware", False)
    if router.platform != "lambda":
        return LineItem(
            "router", "router", f"router on {router.platform}", None, "no price in the table"
        )
    region = router.region or provider_regions.get("aws", "")
    forecast = spec.forecast
    usage = TargetUsage(1.0, forecast.monthly_requests if forecast else None, 0, 0, 0.0)
    return tokens.lambda_compute(
        "router",
        "router",
        region=region,
        memory_mb=router.memory_mb,
        duration_s=ROUTER_DURATION_S,
        usage=usage,
        prices=table,
    )


def _assumptions(spec: StackSpec) -> tuple[str, ...]:
    notes = [
        "a month is 720 hours; prices are list prices without free tiers, taxes or data transfer",
        "instance targets run their base all month and scale to max during the forecast's "
        "peak hours (an upper estimate)",
        f"Lambda target duration {LAMBDA_DURATION_S:g} s; router duration "
        f"{ROUTER_DURATION_S:g} s per request",
        f"SageMaker serverless (CPU) generates {SERVERLESS_CPU_TOKENS_PER_S:g} tokens/s; "
        f"Cloud Run L4 {CLOUD_RUN_GPU_TOKENS_PER_S:g} tokens/s",
    ]
    if spec.router.managed_state():
        notes.append(
            f"the router's managed Redis runs all month; on ElastiCache Serverless it stores"
            f" the metered minimum and spends {STATE_ECPUS_PER_REQUEST:g} ECPUs per request"
            " (its limit, key, budget and exact-cache commands; a lower bound when answers"
            " exceed 1 KB or the exact cache holds more)"
        )
    fleets = [t for t in spec.targets.values() if isinstance(t, GpuFleetTarget)]
    if any(fleet.spot.on_demand_fallback for fleet in fleets):
        notes.append(
            f"GPU fleets with an on-demand fallback run {SPOT_FALLBACK_SHARE:.0%} of their"
            " spot hours on demand (an assumption: spot interruption rates vary by type,"
            " zone and month)"
        )
    if spec.forecast is None:
        notes.append("no forecast: usage-priced items are unknown")
    elif not spec.forecast.shares:
        notes.append(
            f"no forecast.shares: {primary_target(spec)!r} (first target of the catch-all "
            "route) serves all traffic; other per-request targets are fallbacks"
        )
    return tuple(notes)
