from __future__ import annotations

from typing import Any

import pytest

from inferplane.cost.prices import PriceTable

BASE_SPEC: dict[str, Any] = {
    "environment": "prod",
    "owner": "ml-platform",
    "cost_center": "cc-1",
    "residency": {"zone": "us", "regions": {"aws": ["us-east-1"]}},
    "data_classes": {"public": {"placement": "any"}},
    "routes": [{"name": "default", "targets": ["main"]}],
    "router": {"platform": "lambda"},
    "forecast": {
        "steady_rps": 10,
        "peak_rps": 10,
        "avg_input_tokens": 1000,
        "avg_output_tokens": 1000,
        "peak_hours_per_day": 0,
    },
}
"""10 rps all month = 25,920,000 requests of 1k input + 1k output tokens."""

MONTHLY_REQUESTS = 10 * 720 * 3600


def table(*prices: dict[str, Any]) -> PriceTable:
    """A price table holding only ``prices`` (source ``t``)."""
    return PriceTable.model_validate(
        {
            "as_of": "2000-01-01",
            "currency": "USD",
            "sources": {"t": {"url": "test"}},
            "prices": [{"region": "*", "term": "none", "source": "t", **p} for p in prices],
        }
    )


@pytest.fixture
def base_spec() -> dict[str, Any]:
    import copy

    return copy.deepcopy(BASE_SPEC)
