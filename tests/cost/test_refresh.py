"""Which prices the stacks need (from the real estimators) and the fetchers for the primary
sources: the AWS Price List API through botocore's Stubber (which checks the request and
the reply against the pricing service model), and a loopback Azure Retail Prices API that
evaluates the OData filter and pages like the real one."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from inferplane.cost.prices import PriceTable, default_prices
from inferplane.cost.refresh import PriceKey, needed_prices
from inferplane.cost.refresh.fetch import fetch_prices, write_price_file
from inferplane.cost.refresh.sources import (
    PriceSourceError,
    azure_vm_hourly,
    ec2_on_demand_hourly,
    sagemaker_hosting_hourly,
)
from inferplane.smoke.server import LoopbackServer
from inferplane.smoke.wire import Call, Reply, json_reply
from inferplane.spec import list_stacks, load_stack
from tests.conftest import ROOT


def _stacks(*names: str) -> list[Any]:
    return [load_stack(ROOT, n) for n in names or list_stacks(ROOT)]


def test_the_needed_prices_come_from_the_estimators() -> None:
    keys = {
        (k.service, k.sku, k.region, k.unit): k.found
        for k in needed_prices(_stacks("prod-westeurope"), default_prices())
    }
    assert keys[("azure_ml", "Standard_NC24ads_A100_v4", "westeurope", "instance_hour")] is False
    assert keys[("azure_openai", "gpt-4o-mini", "westeurope", "1k_input_tokens")] is True


def test_an_override_marks_a_price_found(tmp_path: Path) -> None:
    mine = PriceTable.model_validate(
        {
            "as_of": "x",
            "currency": "USD",
            "sources": {"mine": {"url": "u"}},
            "prices": [
                {
                    "service": "azure_ml",
                    "sku": "Standard_NC24ads_A100_v4",
                    "region": "westeurope",
                    "unit": "instance_hour",
                    "usd": 3.0,
                    "source": "mine",
                }
            ],
        }
    )
    keys = needed_prices(_stacks("prod-westeurope"), default_prices().overlay(mine))
    (ml,) = [k for k in keys if k.service == "azure_ml" and k.unit == "instance_hour"]
    assert ml.found


def _offer(instance_type: str, usd: str, *, os: str = "Linux") -> str:
    """One PriceList entry as the Price List API returns it (a JSON string)."""
    sku = f"SKU{instance_type}{os}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "sku": sku,
                "attributes": {"instanceType": instance_type, "operatingSystem": os},
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                                "description": f"${usd} per On Demand {os} {instance_type}",
                            }
                        }
                    }
                }
            },
        }
    )


@pytest.fixture
def pricing(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    client = boto3.client("pricing", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub


def _filters(instance_type: str, region: str) -> list[dict[str, str]]:
    values = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in values.items()]


def test_ec2_price_from_the_price_list_api(pricing: tuple[Any, Stubber]) -> None:
    client, stub = pricing
    stub.add_response(
        "get_products",
        {"PriceList": [_offer("g5.2xlarge", "1.3660000000")], "FormatVersion": "aws_v1"},
        {
            "ServiceCode": "AmazonEC2",
            "Filters": _filters("g5.2xlarge", "eu-central-1"),
            "FormatVersion": "aws_v1",
            "MaxResults": 10,
        },
    )
    assert ec2_on_demand_hourly(client, "g5.2xlarge", "eu-central-1") == 1.366


def _hosting(instance_name: str, usd: str, component: str = "Hosting") -> str:
    """A SageMaker offer as the Price List API returns it (fields the fetcher reads)."""
    sku = f"SKU{instance_name}{component}"
    offer = json.loads(_offer("x", usd))
    offer["serviceCode"] = "AmazonSageMaker"
    offer["product"] = {
        "productFamily": "ML Instance",
        "sku": sku,
        "attributes": {
            "instanceName": instance_name,
            "instanceType": f"{instance_name}-{component}",
            "component": component,
            "regionCode": "eu-central-1",
        },
    }
    return json.dumps(offer)


def test_sagemaker_hosting_price_reads_every_page(pricing: tuple[Any, Stubber]) -> None:
    client, stub = pricing
    filters = [
        {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-central-1"},
    ]
    expected = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": filters,
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    stub.add_response(
        "get_products",
        {
            "PriceList": [_hosting("ml.g5.xlarge", "1.58")],
            "NextToken": "t2",
            "FormatVersion": "aws_v1",
        },
        expected,
    )
    stub.add_response(
        "get_products",
        {"PriceList": [_hosting("ml.g5.2xlarge", "1.98")], "FormatVersion": "aws_v1"},
        {**expected, "NextToken": "t2"},
    )
    assert sagemaker_hosting_hourly(client, "ml.g5.2xlarge", "eu-central-1") == 1.98
    stub.assert_no_pending_responses()


def test_two_different_prices_for_one_key_are_refused(pricing: tuple[Any, Stubber]) -> None:
    client, stub = pricing
    offers = [_offer("g5.2xlarge", "1.2"), _offer("g5.2xlarge", "1.5", os="RHEL")]
    stub.add_response("get_products", {"PriceList": offers, "FormatVersion": "aws_v1"})
    with pytest.raises(PriceSourceError, match="2 on-demand prices"):
        ec2_on_demand_hourly(client, "g5.2xlarge", "eu-central-1")


AZURE_ITEMS = [
    {"productName": "Virtual Machines NCads A100 v4 Series", "skuName": "NC24ads A100 v4"},
    {"productName": "Virtual Machines NCads A100 v4 Series Windows", "skuName": "NC24ads A100 v4"},
    {"productName": "Virtual Machines NCads A100 v4 Series", "skuName": "NC24ads A100 v4 Spot"},
    {
        "productName": "Virtual Machines NCads A100 v4 Series",
        "skuName": "NC24ads A100 v4 Low Priority",
    },
]
AZURE_PRICES = [3.673, 5.1, 0.9, 0.7]


def _retail_app(seen: list[dict[str, str]]) -> Any:
    """The Retail Prices API: evaluates the ``eq`` clauses of ``$filter``, two items a page."""

    def app(call: Call) -> Reply:
        url = urllib.parse.urlsplit(call.target)
        query = dict(urllib.parse.parse_qsl(url.query))
        seen.append(query)
        clauses = {
            field: value.strip("'")
            for field, _, value in (
                c.strip().split(" ", 2) for c in query["$filter"].split(" and ")
            )
        }
        items = []
        if clauses.get("armSkuName") == "Standard_NC24ads_A100_v4":
            for item, usd in zip(AZURE_ITEMS, AZURE_PRICES, strict=True):
                items.append(
                    {
                        **item,
                        "retailPrice": usd,
                        "unitPrice": usd,
                        "currencyCode": "USD",
                        "unitOfMeasure": "1 Hour",
                        "armRegionName": clauses["armRegionName"],
                        "armSkuName": clauses["armSkuName"],
                        "serviceName": clauses["serviceName"],
                        "type": clauses["priceType"],
                    }
                )
        if query.get("page") == "1":
            return json_reply(200, {"Items": items[2:], "NextPageLink": None})
        link = f"http://{call.headers['host']}{url.path}?{url.query}&page=1" if items else None
        return json_reply(200, {"BillingCurrency": "USD", "Items": items[:2], "NextPageLink": link})

    return app


@pytest.fixture
def retail() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    with LoopbackServer(_retail_app(seen)) as server:
        yield f"{server.url}/api/retail/prices", seen


def test_azure_vm_price_is_the_linux_consumption_meter(
    retail: tuple[str, list[dict[str, str]]],
) -> None:
    endpoint, seen = retail
    assert azure_vm_hourly("Standard_NC24ads_A100_v4", "westeurope", endpoint) == 3.673
    assert len(seen) == 2  # followed NextPageLink
    assert seen[0]["api-version"] == "2023-01-01-preview"
    assert azure_vm_hourly("Standard_ND96asr_v4", "westeurope", endpoint) is None


def test_fetch_writes_a_price_file_cost_can_read(
    tmp_path: Path, retail: tuple[str, list[dict[str, str]]], pricing: tuple[Any, Stubber]
) -> None:
    endpoint, _ = retail
    client, stub = pricing
    stub.add_response(
        "get_products", {"PriceList": [_offer("g5.2xlarge", "1.366")], "FormatVersion": "aws_v1"}
    )
    keys = [
        PriceKey("ec2", "g5.2xlarge", "eu-central-1", "instance_hour", "none", False),
        PriceKey(
            "azure_ml", "Standard_NC24ads_A100_v4", "westeurope", "instance_hour", "none", False
        ),
        PriceKey(
            "bedrock", "amazon.nova-lite-v1:0", "eu-central-1", "1k_input_tokens", "none", False
        ),
    ]
    fetched = fetch_prices(keys, lambda: client, endpoint)
    assert [(f.key.service, f.usd) for f in fetched] == [("ec2", 1.366), ("azure_ml", 3.673)]
    out = tmp_path / "fetched.yaml"
    import datetime as dt

    assert write_price_file(out, fetched, dt.date(2026, 11, 30)) == 2
    table = default_prices().overlay(PriceTable.load(out))
    price = table.lookup("azure_ml", "Standard_NC24ads_A100_v4", "westeurope", "instance_hour")
    assert price is not None
    assert price.usd == 3.673
    assert price.url.startswith("https://prices.azure.com/")
