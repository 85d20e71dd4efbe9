"""The router's managed Redis (``router.state``) in ``inferplane cost``: priced from the
dated table as the real components provision it, and unknown (never zero) where the
table has no price (issue 15: managed state; issue 13: unknown is never zero)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from inferplane.cost import default_prices, estimate_stack
from inferplane.cost.model import LineItem, StackEstimate
from inferplane.cost.prices import PriceTable
from inferplane.cost.router_state import (
    MEMORYSTORE_GB,
    VALKEY_MIN_GB,
)
from inferplane.plan import Graph, run_program
from inferplane.spec import load_stack, parse_spec, provider_regions
from tests.conftest import stack_spec_data
from tests.cost.conftest import table

ROOT = Path(__file__).resolve().parents[2]


@cache
def _planned(stack: str) -> Graph:
    return run_program(ROOT, load_stack(ROOT, stack))


def _estimate(stack: str, prices: PriceTable | None = None) -> StackEstimate:
    stack_file = load_stack(ROOT, stack)
    regions = provider_regions(stack_file.config)
    return estimate_stack(stack_file.spec, stack, regions, prices or default_prices())


def _state(estimate: StackEstimate) -> list[LineItem]:
    return [i for i in estimate.items if i.kind == "router_state"]


def test_what_is_priced_is_what_the_components_provision() -> None:
    [cache_] = _planned("prod-us-east-1").by_type("aws:elasticache/serverlessCache:ServerlessCache")
    assert cache_.inputs["engine"] == "valkey"  # priced as serverless-valkey
    [memorystore] = _planned("prod-europe-west4").by_type("gcp:redis/instance:Instance")
    assert (memorystore.inputs["tier"], memorystore.inputs["memorySizeGb"]) == (
        "STANDARD_HA",
        MEMORYSTORE_GB,
    )
    [azure] = _planned("prod-westeurope").by_type("azure-native:redis:Redis")
    assert azure.inputs["sku"] == {"name": "Standard", "family": "C", "capacity": 1}


def test_elasticache_is_priced_from_the_dated_table() -> None:
    estimate = _estimate("prod-us-east-1")
    prices = default_prices()
    stored = prices.lookup("elasticache", "serverless-valkey", "us-east-1", "gb_hour")
    ecpus = prices.lookup("elasticache", "serverless-valkey", "us-east-1", "million_ecpus")
    assert stored is not None
    assert ecpus is not None
    requests = load_stack(ROOT, "prod-us-east-1").spec.forecast
    assert requests is not None
    assert [i.monthly_usd for i in _state(estimate)] == [
        pytest.approx(VALKEY_MIN_GB * 720 * stored.usd),
        pytest.approx(requests.monthly_requests * 8 / 1e6 * ecpus.usd),
    ]
    assert stored.source == ecpus.source == "usageai-elasticache"
    assert any("managed Redis runs all month" in a for a in estimate.assumptions)


@pytest.mark.parametrize(
    ("stack", "missing"),
    [
        (
            "prod-eu-central-1",
            [
                "elasticache/serverless-valkey gb_hour in eu-central-1",
                "elasticache/serverless-valkey million_ecpus in eu-central-1",
            ],
        ),
        ("prod-k8s", ["elasticache/serverless-valkey gb_hour in eu-central-1"]),
        ("prod-europe-west4", ["memorystore/standard-m1 gb_hour in europe-west4"]),
        ("prod-westeurope", ["azure_redis/standard-c1 instance_hour in swedencentral"]),
    ],
)
def test_a_missing_price_is_unknown_never_zero(stack: str, missing: list[str]) -> None:
    estimate = _estimate(stack)
    state = _state(estimate)
    assert state
    assert all(i.monthly_usd is None and i in estimate.unknown_items for i in state)
    for key in missing:
        assert any(key in i.basis and "--prices" in i.basis for i in state), key


def test_a_price_file_prices_the_state_of_another_region() -> None:
    override = table(
        {"service": "memorystore", "sku": "standard-m1", "unit": "gb_hour", "usd": 0.05},
        {"service": "azure_redis", "sku": "standard-c1", "unit": "instance_hour", "usd": 0.2},
    )
    prices = default_prices().overlay(override)
    [memorystore] = _state(_estimate("prod-europe-west4", prices))
    assert memorystore.monthly_usd == pytest.approx(MEMORYSTORE_GB * 720 * 0.05)
    [azure] = _state(_estimate("prod-westeurope", prices))
    assert azure.monthly_usd == pytest.approx(720 * 0.2)


def _spec_estimate(stack: str, **router: Any) -> StackEstimate:
    data = stack_spec_data(stack)
    data["router"].update(router)
    regions = {"aws": "us-east-1", "gcp": "europe-west4", "azure": "westeurope"}
    return estimate_stack(parse_spec(data, "t", regions), "t", regions, default_prices())


@pytest.mark.parametrize(
    ("stack", "router"),
    [
        ("dev", {}),  # state: memory
        ("prod-us-east-1", {"redis": {"store": "env", "name": "REDIS_URL"}}),  # its own Redis
        ("prod-us-east-1", {"state": "memory"}),
    ],
)
def test_nothing_is_priced_when_nothing_is_provisioned(stack: str, router: dict[str, Any]) -> None:
    assert _state(_spec_estimate(stack, **router)) == []


def test_without_a_forecast_the_ecpus_are_unknown_and_the_storage_floor_is_not() -> None:
    data = stack_spec_data("prod-us-east-1")
    del data["forecast"]
    regions = {"aws": "us-east-1"}
    estimate = estimate_stack(parse_spec(data, "t", regions), "t", regions, default_prices())
    stored, ecpus = _state(estimate)
    assert stored.monthly_usd is not None
    assert (ecpus.monthly_usd, ecpus.basis) == (None, "no forecast in the spec")
