"""Fetchers for the prices primary sources publish machine-readably.

- EC2 on-demand instance-hours: the AWS Price List Query API (``pricing:GetProducts``,
  endpoint in us-east-1; needs AWS credentials), Linux, shared tenancy, no pre-installed
  software, capacity status ``Used`` -- the attributes AWS documents for the EC2 offer.
- SageMaker real-time hosting instance-hours: the same API, service ``AmazonSageMaker``,
  ``component`` ``Hosting`` (real-time inference endpoints, not training, notebooks or
  batch), matched on the offer's ``instanceName`` (``ml.g5.2xlarge``).
- Azure VM hours (Azure ML managed online endpoints bill the VM): the Azure Retail Prices
  API (``https://prices.azure.com/api/retail/prices``, no credentials), consumption price,
  Linux meter (not Windows, Spot or Low Priority).

Every fetcher returns a price, or None when the source has none for the key; a source that
cannot be reached raises ``PriceSourceError`` with what to do.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from inferplane.errors import CloudAccessError

__all__ = [
    "AWS_PRICE_LIST",
    "AZURE_RETAIL",
    "PriceSourceError",
    "azure_vm_hourly",
    "ec2_on_demand_hourly",
    "sagemaker_hosting_hourly",
]

AWS_PRICE_LIST = "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-changes.html"
AZURE_RETAIL = "https://prices.azure.com/api/retail/prices"
AZURE_API_VERSION = "2023-01-01-preview"
MAX_PAGES = 20


class PriceSourceError(CloudAccessError):
    """A price source could not be asked or answered something unreadable."""


def ec2_on_demand_hourly(pricing: Any, instance_type: str, region: str) -> float | None:
    """USD per hour of a Linux on-demand ``instance_type`` in ``region``."""
    filters = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    reply = pricing.get_products(
        ServiceCode="AmazonEC2",
        Filters=[{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
        FormatVersion="aws_v1",
        MaxResults=10,
    )
    prices = _on_demand_hourly(reply.get("PriceList", []))
    if len(prices) > 1:
        raise PriceSourceError(
            f"the AWS Price List has {len(prices)} on-demand prices for {instance_type} in "
            f"{region} ({sorted(prices)}): refine the filters before trusting one"
        )
    return prices.pop() if prices else None


def sagemaker_hosting_hourly(pricing: Any, instance_type: str, region: str) -> float | None:
    """USD per hour of a SageMaker real-time endpoint instance (``ml.g5.2xlarge``)."""
    filters = {"component": "Hosting", "regionCode": region}
    offers: list[Any] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        reply = pricing.get_products(
            ServiceCode="AmazonSageMaker",
            Filters=[{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
            FormatVersion="aws_v1",
            MaxResults=100,
            **({"NextToken": token} if token else {}),
        )
        offers += [o for o in map(_offer, reply.get("PriceList", [])) if _hosts(o, instance_type)]
        token = reply.get("NextToken")
        if not token:
            break
    prices = _on_demand_hourly(offers)
    if len(prices) > 1:
        raise PriceSourceError(
            f"the AWS Price List has {len(prices)} hosting prices for {instance_type} in "
            f"{region} ({sorted(prices)}): refine the filters before trusting one"
        )
    return prices.pop() if prices else None


def _offer(raw: Any) -> dict[str, Any]:
    item = json.loads(raw) if isinstance(raw, str) else raw
    return item if isinstance(item, dict) else {}


def _hosts(offer: dict[str, Any], instance_type: str) -> bool:
    attributes = (offer.get("product") or {}).get("attributes") or {}
    named = attributes.get("instanceName") or attributes.get("instanceType")
    return named in (instance_type, f"{instance_type}-Hosting")


def _on_demand_hourly(offers: list[Any]) -> set[float]:
    """The positive per-hour USD prices of the offers' on-demand terms."""
    prices: set[float] = set()
    for item in map(_offer, offers):
        for term in (item.get("terms", {}).get("OnDemand") or {}).values():
            for dimension in (term.get("priceDimensions") or {}).values():
                usd = (dimension.get("pricePerUnit") or {}).get("USD")
                if dimension.get("unit") == "Hrs" and usd is not None and float(usd) > 0:
                    prices.add(float(usd))
    return prices


def azure_vm_hourly(
    sku: str, region: str, endpoint: str = AZURE_RETAIL, timeout_s: float = 30.0
) -> float | None:
    """USD per hour of VM size ``sku`` (``Standard_...``) on Linux, pay as you go."""
    odata = (
        f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' "
        f"and armSkuName eq '{sku}' and priceType eq 'Consumption'"
    )
    query = urllib.parse.urlencode({"api-version": AZURE_API_VERSION, "$filter": odata})
    url: str | None = f"{endpoint}?{query}"
    prices: set[float] = set()
    for _ in range(MAX_PAGES):
        if url is None:
            break
        body = _get_json(url, timeout_s)
        for item in body.get("Items") or ():
            product, name = str(item.get("productName", "")), str(item.get("skuName", ""))
            if "Windows" in product or "Spot" in name or "Low Priority" in name:
                continue
            if item.get("unitOfMeasure") == "1 Hour" and item.get("currencyCode") == "USD":
                prices.add(float(item["retailPrice"]))
        url = body.get("NextPageLink")
        if url and not url.startswith(endpoint):
            raise PriceSourceError(f"the Azure Retail Prices API paged outside {endpoint}")
    if len(prices) > 1:
        raise PriceSourceError(
            f"the Azure Retail Prices API has {len(prices)} Linux consumption prices for "
            f"{sku} in {region} ({sorted(prices)})"
        )
    return prices.pop() if prices else None


def _get_json(url: str, timeout_s: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            body = json.loads(reply.read(32 << 20))
    except urllib.error.HTTPError as exc:
        raise PriceSourceError(
            f"{urllib.parse.urlsplit(url).netloc} answered HTTP {exc.code}"
        ) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PriceSourceError(
            f"{urllib.parse.urlsplit(url).netloc} could not be reached: {exc}"
        ) from exc
    except ValueError as exc:
        raise PriceSourceError(f"the answer from {url} is not JSON") from exc
    if not isinstance(body, dict):
        raise PriceSourceError(f"the answer from {url} is not a JSON object")
    return body
