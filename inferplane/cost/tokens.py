"""Per-token targets: Bedrock (on demand and provisioned throughput), Azure OpenAI
(Standard and PTU), and Lambda functions that call a Bedrock model."""

from __future__ import annotations

from inferplane.cost.assumptions import HOURS_PER_MONTH, LAMBDA_DURATION_S
from inferplane.cost.model import Commitment, LineItem, TargetCost
from inferplane.cost.money import usd
from inferplane.cost.prices import Price, PriceTable
from inferplane.cost.usage import TargetUsage
from inferplane.spec.targets import AzureOpenAITarget, BedrockTarget, LambdaTarget
from inferplane.spec.targets.base import TargetBase

__all__ = ["azure_openai", "bedrock", "lambda_function", "per_request_usd", "token_prices"]


def token_prices(target: TargetBase, prices: PriceTable) -> tuple[Price, Price] | None:
    """The per-1k input and output token prices a request to ``target`` is billed at,
    or None when unknown or not billed per token (provisioned capacity, own GPUs)."""
    key: tuple[str, str, str | None] | None = None
    if isinstance(target, BedrockTarget | AzureOpenAITarget):
        if target.capacity.mode == "provisioned":
            return None  # billed per hour/month: a request adds no cost
        service = "bedrock" if isinstance(target, BedrockTarget) else "azure_openai"
        key = (service, target.model, target.region)
    elif isinstance(target, LambdaTarget):
        key = ("bedrock", target.model, target.region)  # the function calls Bedrock
    if key is None:
        return None
    p_in = prices.lookup(*key, "1k_input_tokens")
    p_out = prices.lookup(*key, "1k_output_tokens")
    return None if p_in is None or p_out is None else (p_in, p_out)


def per_request_usd(
    prices: PriceTable, service: str, model: str, region: str | None, usage: TargetUsage
) -> tuple[float | None, str]:
    """Token cost of one average request, or None with the reason."""
    p_in = prices.lookup(service, model, region, "1k_input_tokens")
    p_out = prices.lookup(service, model, region, "1k_output_tokens")
    if p_in is None or p_out is None:
        return None, f"no {service} per-token price for {model} in {region}"
    cost = usage.input_tokens / 1000 * p_in.usd + usage.output_tokens / 1000 * p_out.usd
    basis = (
        f"{usage.input_tokens} in x ${p_in.usd}/1k + {usage.output_tokens} out x "
        f"${p_out.usd}/1k = {usd(cost)}/request"
    )
    return cost, basis


def _token_item(
    name: str,
    kind: str,
    per_request: tuple[float | None, str],
    usage: TargetUsage,
    what: str,
) -> LineItem:
    cost, basis = per_request
    if usage.requests is None:
        return LineItem(name, kind, what, None, "no forecast in the spec")
    if usage.requests == 0:
        return LineItem(name, kind, what, 0.0, "no forecast traffic (fallback only)")
    if cost is None:
        return LineItem(name, kind, what, None, basis)
    return LineItem(
        name, kind, what, usage.requests * cost, f"{usage.requests:,.0f} requests x {basis}"
    )


def _provisioned(
    name: str,
    service: str,
    label: str,
    *,
    monthly: float | None,
    basis: str,
    per_request: tuple[float | None, str],
    usage: TargetUsage,
) -> TargetCost:
    """Provisioned throughput: its line item, and the commitment it is against the
    on-demand token cost of the traffic it serves."""
    cost, why_no_cost = per_request
    on_demand = None
    if cost is not None and usage.requests is not None:
        on_demand = usage.requests * cost
    break_even = None
    if monthly is not None and cost:
        break_even = monthly / cost / (HOURS_PER_MONTH * 3600)
    note = "" if monthly is not None and cost is not None else f"{basis}; {why_no_cost}"
    commitment = Commitment(
        name, label, True, monthly, on_demand, break_even, "rps", usage.avg_rps, note
    )
    return TargetCost([LineItem(name, service, label, monthly, basis)], [commitment])


def bedrock(name: str, target: BedrockTarget, usage: TargetUsage, prices: PriceTable) -> TargetCost:
    # Cross-region (geo/global) inference is billed at the source region's price.
    per_request = per_request_usd(prices, "bedrock", target.model, target.region, usage)
    capacity = target.capacity
    if capacity.mode != "provisioned":
        return TargetCost([_token_item(name, "bedrock", per_request, usage, "tokens (on demand)")])
    units = capacity.units or 1
    price = prices.lookup("bedrock", target.model, target.region, "model_unit_hour", capacity.term)
    label = f"provisioned throughput {units} MU, term {capacity.term}"
    if price is None:
        monthly, basis = None, f"no model-unit-hour price for {target.model} ({capacity.term})"
    else:
        monthly = units * price.usd * HOURS_PER_MONTH
        basis = f"{units} MU x ${price.usd}/h x {HOURS_PER_MONTH} h"
    return _provisioned(
        name, "bedrock", label, monthly=monthly, basis=basis, per_request=per_request, usage=usage
    )


def azure_openai(
    name: str, target: AzureOpenAITarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    per_request = per_request_usd(prices, "azure_openai", target.model, target.region, usage)
    capacity = target.capacity
    if capacity.mode != "provisioned":
        return TargetCost(
            [_token_item(name, "azure_openai", per_request, usage, f"tokens ({target.sku})")]
        )
    units = capacity.units or 1
    label = f"{units} PTU ({target.sku}), term {capacity.term}"
    if capacity.term == "none":
        price = prices.lookup("azure_openai", "ptu", target.region, "ptu_hour")
        hours = HOURS_PER_MONTH
    else:
        price = prices.lookup("azure_openai", "ptu", target.region, "ptu_month", capacity.term)
        hours = 1
    if price is None:
        monthly, basis = None, f"no PTU price for term {capacity.term}"
    else:
        monthly = units * price.usd * hours
        basis = f"{units} PTU x ${price.usd}" + (f"/h x {hours} h" if hours > 1 else "/month")
    return _provisioned(
        name,
        "azure_openai",
        label,
        monthly=monthly,
        basis=basis,
        per_request=per_request,
        usage=usage,
    )


def lambda_function(
    name: str, target: LambdaTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    compute = lambda_compute(
        name,
        "lambda",
        region=target.region,
        memory_mb=target.memory_mb,
        duration_s=LAMBDA_DURATION_S,
        usage=usage,
        prices=prices,
    )
    per_request = per_request_usd(prices, "bedrock", target.model, target.region, usage)
    tokens = _token_item(name, "lambda", per_request, usage, f"Bedrock tokens ({target.model})")
    return TargetCost([compute, tokens])


def lambda_compute(
    name: str,
    kind: str,
    *,
    region: str,
    memory_mb: int,
    duration_s: float,
    usage: TargetUsage,
    prices: PriceTable,
) -> LineItem:
    """Lambda GB-seconds and request charges for ``usage``."""
    what = f"Lambda {memory_mb} MB x {duration_s:g} s (assumed) per request"
    if usage.requests is None:
        return LineItem(name, kind, what, None, "no forecast in the spec")
    gb_s = prices.lookup("lambda", "x86", region, "gb_second")
    per_m = prices.lookup("lambda", "x86", region, "million_requests")
    if gb_s is None or per_m is None:
        return LineItem(name, kind, what, None, f"no Lambda price in {region}")
    seconds = usage.requests * duration_s * memory_mb / 1024
    monthly = seconds * gb_s.usd + usage.requests / 1e6 * per_m.usd
    basis = (
        f"{usage.requests:,.0f} req x {duration_s:g} s x {memory_mb / 1024:g} GB x ${gb_s.usd}"
        f" + ${per_m.usd}/M requests"
    )
    return LineItem(name, kind, what, monthly, basis)
