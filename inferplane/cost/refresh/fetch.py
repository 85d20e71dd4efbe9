"""Fetch the prices the stacks need from the primary sources that publish them, into a
price file of the table's own format (``inferplane cost --prices FILE`` reads it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inferplane.cost.refresh.sources import (
    AWS_PRICE_LIST,
    AZURE_RETAIL,
    PriceSourceError,
    azure_vm_hourly,
    ec2_on_demand_hourly,
    sagemaker_hosting_hourly,
)
from inferplane.cost.refresh.wanted import PriceKey

__all__ = ["FETCHABLE", "Fetched", "fetch_prices", "write_price_file"]

SOURCES = {
    "aws-price-list-api": {"url": AWS_PRICE_LIST, "note": "pricing:GetProducts, Linux, shared"},
    "azure-retail-prices": {"url": AZURE_RETAIL, "note": "Consumption, Linux meter"},
}
FETCHABLE = {
    ("ec2", "instance_hour"): "aws-price-list-api",
    ("sagemaker", "instance_hour"): "aws-price-list-api",
    ("azure_ml", "instance_hour"): ("azure-retail-prices"),
}
"""(service, unit) -> the source that publishes it machine-readably; other prices are
hand-compiled from the pages named in the shipped table."""
AWS_HOURLY: dict[str, Callable[[Any, str, str], float | None]] = {
    "ec2": ec2_on_demand_hourly,
    "sagemaker": sagemaker_hosting_hourly,
}
"""The Price List fetcher of each AWS service's instance hours."""


@dataclass(frozen=True)
class Fetched:
    key: PriceKey
    usd: float | None
    note: str
    """Where it came from, or why it could not be fetched."""


def fetch_prices(
    keys: Iterable[PriceKey],
    pricing_client: Callable[[], Any],
    azure_endpoint: str = AZURE_RETAIL,
) -> list[Fetched]:
    """One result per key a source covers; ``pricing_client`` makes the AWS pricing client
    only when an EC2 or SageMaker price is asked for (so Azure-only stacks need no AWS
    credentials)."""
    results: list[Fetched] = []
    client: Any = None
    for key in keys:
        source = FETCHABLE.get((key.service, key.unit))
        if source is None or key.term != "none" or key.region == "*":
            continue
        try:
            if source == "aws-price-list-api":
                client = client or pricing_client()
                hourly = AWS_HOURLY[key.service]
                usd = hourly(client, key.sku, key.region)
            else:
                usd = azure_vm_hourly(key.sku, key.region, azure_endpoint)
        except PriceSourceError as exc:
            results.append(Fetched(key, None, str(exc)))
            continue
        note = source if usd is not None else f"{source}: no price for this key"
        results.append(Fetched(key, usd, note))
    return results


def write_price_file(path: Path, fetched: Iterable[Fetched], today: dt.date) -> int:
    """Write the fetched prices as a price table; returns how many were written."""
    rows = [
        {
            "service": f.key.service,
            "sku": f.key.sku,
            "region": f.key.region,
            "unit": f.key.unit,
            "usd": f.usd,
            "source": f.note,
        }
        for f in fetched
        if f.usd is not None
    ]
    table = {"as_of": today.isoformat(), "currency": "USD", "sources": SOURCES, "prices": rows}
    header = (
        f"# Fetched by `inferplane prices --fetch` on {today.isoformat()} from the primary\n"
        "# sources below. Use with `inferplane cost --prices <this file>`, or review and\n"
        "# merge into inferplane/cost/prices.yaml.\n"
    )
    path.write_text(header + yaml.safe_dump(table, sort_keys=False), encoding="utf-8")
    return len(rows)
