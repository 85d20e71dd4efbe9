"""The router's managed Redis (``router.state``), priced as the deployment provisions it
(``inferplane.deployment.router_state``):

    lambda, kubernetes on EKS   ElastiCache Serverless for Valkey: GB-hours of data stored
                                (metered at least ``VALKEY_MIN_GB``) plus ECPUs per request
    cloud_run                   Memorystore for Redis, Standard tier (HA), ``MEMORYSTORE_GB``
                                provisioned: GB-hours of its capacity tier (M1: 1-4 GB)
    container_app               Azure Cache for Redis Standard C1: instance-hours

A price the table lacks makes its item unknown (never zero), naming the key to add with
``--prices``. tests/cost/test_router_state_cost.py checks these constants against what
the real components provision, so they cannot drift apart.
"""

from __future__ import annotations

from inferplane.cost.assumptions import HOURS_PER_MONTH, STATE_ECPUS_PER_REQUEST
from inferplane.cost.model import LineItem
from inferplane.cost.prices import Price, PriceTable, Unit
from inferplane.spec import StackSpec
from inferplane.spec.targets import KubernetesTarget

__all__ = [
    "AZURE_REDIS_SKU",
    "MEMORYSTORE_GB",
    "MEMORYSTORE_SKU",
    "VALKEY_MIN_GB",
    "VALKEY_SKU",
    "router_state",
]

VALKEY_SKU = "serverless-valkey"
VALKEY_MIN_GB = 0.1
"""ElastiCache Serverless for Valkey meters at least 100 MB of data stored per cache."""
MEMORYSTORE_SKU = "standard-m1"
"""Memorystore for Redis, Standard tier, capacity tier M1 (1-4 GB)."""
MEMORYSTORE_GB = 1
"""The capacity the Cloud Run router's Memorystore is provisioned with."""
AZURE_REDIS_SKU = "standard-c1"
"""Azure Cache for Redis, Standard (two replicated nodes), C1 (1 GB)."""
KIND = "router_state"
Key = tuple[str, str, str | None, Unit]
"""A price's (service, SKU, region, unit)."""


def router_state(
    spec: StackSpec, provider_regions: dict[str, str], prices: PriceTable
) -> list[LineItem]:
    """The managed Redis's monthly items; none when the stack provisions none."""
    router = spec.router
    if not router.managed_state():
        return []
    region = router.cloud_region(provider_regions)
    if router.platform == "kubernetes":
        region = _eks_region(spec)
        if region is None:  # off EKS nothing is provisioned (router.redis names one)
            return []
    if router.platform in ("lambda", "kubernetes"):
        return _elasticache(spec, region, prices)
    if router.platform == "cloud_run":
        key: Key = ("memorystore", MEMORYSTORE_SKU, region, "gb_hour")
        what = f"Memorystore Standard {MEMORYSTORE_GB} GB (M1), GB-hours"
        return [_hours(what, MEMORYSTORE_GB, "GB", key, prices)]
    azure: Key = ("azure_redis", AZURE_REDIS_SKU, region, "instance_hour")
    return [_hours("Azure Cache for Redis Standard C1, cache-hours", 1, "cache", azure, prices)]


def _elasticache(spec: StackSpec, region: str | None, prices: PriceTable) -> list[LineItem]:
    stored = _hours(
        f"ElastiCache Serverless (Valkey) data stored, metered minimum {VALKEY_MIN_GB:g} GB",
        VALKEY_MIN_GB,
        "GB",
        ("elasticache", VALKEY_SKU, region, "gb_hour"),
        prices,
    )
    what = f"ElastiCache Serverless (Valkey) ECPUs, {STATE_ECPUS_PER_REQUEST:g} per request"
    price = prices.lookup("elasticache", VALKEY_SKU, region, "million_ecpus")
    forecast = spec.forecast
    if price is None:
        missing = _missing(("elasticache", VALKEY_SKU, region, "million_ecpus"))
        return [stored, LineItem("router", KIND, what, None, missing)]
    if forecast is None:
        return [stored, LineItem("router", KIND, what, None, "no forecast in the spec")]
    millions = forecast.monthly_requests * STATE_ECPUS_PER_REQUEST / 1e6
    basis = (
        f"{forecast.monthly_requests:,.0f} req x {STATE_ECPUS_PER_REQUEST:g} ECPUs"
        f" x ${price.usd}/million ECPUs"
    )
    return [stored, LineItem("router", KIND, what, millions * price.usd, basis)]


def _hours(what: str, size: float, per: str, key: Key, prices: PriceTable) -> LineItem:
    """``size`` units of ``key``'s hourly price all month (the cache runs all month)."""
    service, sku, region, unit = key
    price: Price | None = prices.lookup(service, sku, region, unit)
    if price is None:
        return LineItem("router", KIND, what, None, _missing(key))
    basis = f"{size:g} {per} x {HOURS_PER_MONTH} h x ${price.usd}/{per}-hour"
    return LineItem("router", KIND, what, size * HOURS_PER_MONTH * price.usd, basis)


def _missing(key: Key) -> str:
    service, sku, region, unit = key
    return (
        f"no price in the table for {service}/{sku} {unit} in {region or 'an unknown region'}"
        " (add it with --prices FILE)"
    )


def _eks_region(spec: StackSpec) -> str | None:
    """The region of the EKS cluster the Kubernetes router runs on, None off EKS."""
    beside = spec.targets.get(str(spec.router.target))
    if not isinstance(beside, KubernetesTarget):
        return None
    cluster = beside.cluster
    if cluster.cloud != "aws" or cluster.name is None:
        return None
    return cluster.region
