"""Instance-hour targets: SageMaker endpoints, GPU fleets, Vertex and Azure ML endpoints.

Instance-hours: the base (``scaling.desired`` or ``scaling.min``) runs all month and the
target scales to ``scaling.max`` during the forecast's peak hours -- an upper estimate.
Commitment options: a 1-year reservation / Savings Plan on the always-on base, at the
table's typical discount; its break-even is the fraction of hours the committed instances
must be busy (1 - discount).
"""

from __future__ import annotations

from inferplane.cost.assumptions import HOURS_PER_MONTH, SPOT_FALLBACK_SHARE
from inferplane.cost.model import Commitment, LineItem, TargetCost
from inferplane.cost.money import usd
from inferplane.cost.prices import Price, PriceTable
from inferplane.cost.usage import TargetUsage
from inferplane.spec.capacity import Scaling
from inferplane.spec.targets import AzureMlTarget, GpuFleetTarget, SageMakerTarget, VertexTarget

__all__ = ["azure_ml", "gpu_fleet", "instance_hours", "sagemaker", "vertex"]


def instance_hours(scaling: Scaling, usage: TargetUsage) -> tuple[float, str]:
    base = _base(scaling)
    peak = usage.peak_hours if scaling.max > base else 0.0
    hours = base * (HOURS_PER_MONTH - peak) + scaling.max * peak
    if peak:
        return hours, f"{base} x {HOURS_PER_MONTH - peak:g} h + {scaling.max} x {peak:g} peak h"
    return hours, f"{base} x {HOURS_PER_MONTH} h"


def _reservation_option(
    name: str, service: str, sku: str, *, base: int, price: Price, prices: PriceTable
) -> Commitment | None:
    discount = prices.lookup(service, sku, None, "reserved_discount", "1_year")
    if discount is None or base == 0:
        return None
    on_demand = base * HOURS_PER_MONTH * price.usd
    return Commitment(
        target=name,
        commitment=f"option: 1-year reservation/Savings Plan on the base of {base} x {sku}",
        in_stack=False,
        monthly_usd=on_demand * (1 - discount.usd),
        on_demand_usd=on_demand,
        break_even=1 - discount.usd,
        break_even_unit="utilisation",
        forecast=1.0,
        note=f"typical discount {discount.usd:.0%} ({discount.source}); base runs all month",
    )


def _base(scaling: Scaling) -> int:
    """The instances that run all month."""
    return scaling.desired if scaling.desired is not None else scaling.min


def _hourly_target(
    name: str,
    target: SageMakerTarget | VertexTarget | AzureMlTarget,
    usage: TargetUsage,
    prices: PriceTable,
    *,
    service: str,
    sku: str,
) -> TargetCost:
    """Instance-hours of ``sku`` at the service's hourly price (the line's kind is the
    service), with the 1-year commitment option on the base."""
    hours, how = instance_hours(target.scaling, usage)
    price = prices.lookup(service, sku, target.region, "instance_hour")
    what = f"{sku} instance-hours"
    if price is None:
        return TargetCost(
            [
                LineItem(
                    name, service, what, None, f"no {service} price for {sku} in {target.region}"
                )
            ]
        )
    item = LineItem(name, service, what, hours * price.usd, f"({how}) x ${price.usd}/h")
    base = _base(target.scaling)
    option = _reservation_option(name, service, sku, base=base, price=price, prices=prices)
    return TargetCost([item], [option] if option else [])


def sagemaker(
    name: str, target: SageMakerTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    return _hourly_target(
        name, target, usage, prices, service="sagemaker", sku=target.instance_type
    )


def vertex(name: str, target: VertexTarget, usage: TargetUsage, prices: PriceTable) -> TargetCost:
    sku = target.machine_type
    if target.accelerator is not None:
        sku = f"{sku}+{target.accelerator.count}x{target.accelerator.type}"
    return _hourly_target(name, target, usage, prices, service="vertex", sku=sku)


def azure_ml(
    name: str, target: AzureMlTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    return _hourly_target(name, target, usage, prices, service="azure_ml", sku=target.instance_type)


def gpu_fleet(
    name: str, target: GpuFleetTarget, usage: TargetUsage, prices: PriceTable
) -> TargetCost:
    sku, region, scaling, spot = target.instance_type, target.region, target.scaling, target.spot
    price = prices.lookup("ec2", sku, region, "instance_hour")
    if price is None:
        what = f"{sku} instance-hours"
        cost = TargetCost(
            [LineItem(name, "gpu_fleet", what, None, f"no EC2 price for {sku} in {region}")]
        )
        if target.capacity.mode == "reserved":
            # The stack buys the reservation whatever its price: it stays in the report.
            base = _base(scaling)
            cost.commitments.append(_odcr(name, target, None, min(spot.on_demand_base, base)))
        return cost
    hours, how = instance_hours(scaling, usage)
    base = _base(scaling)
    # Hours above the on-demand base run on spot for spot_percentage of them.
    od_base = min(spot.on_demand_base, base)
    above_base = hours - od_base * HOURS_PER_MONTH
    spot_hours = above_base * spot.spot_percentage / 100
    od_hours = hours - spot_hours
    cost = TargetCost(
        [
            LineItem(
                name,
                "gpu_fleet",
                f"{sku} on-demand instance-hours",
                od_hours * price.usd,
                f"{od_hours:,.0f} of ({how}) x ${price.usd}/h",
            )
        ]
    )
    if spot_hours and spot.on_demand_fallback:
        fallback_hours = spot_hours * SPOT_FALLBACK_SHARE
        spot_hours -= fallback_hours
        cost.items.append(
            LineItem(
                name,
                "gpu_fleet",
                f"{sku} on-demand fallback instance-hours",
                fallback_hours * price.usd,
                f"{fallback_hours:,.0f} h x ${price.usd}/h (assumed {SPOT_FALLBACK_SHARE:.0%}"
                " of the spot hours run on demand while spot is away)",
            )
        )
    if spot_hours:
        discount = prices.lookup("ec2", sku, region, "spot_discount")
        if discount is None:
            cost.items.append(LineItem(name, "gpu_fleet", f"{sku} spot", None, "no spot discount"))
        else:
            rate = price.usd * (1 - discount.usd)
            cost.items.append(
                LineItem(
                    name,
                    "gpu_fleet",
                    f"{sku} spot instance-hours",
                    spot_hours * rate,
                    f"{spot_hours:,.0f} h x ${rate:.4g}/h "
                    f"(assumed {discount.usd:.0%} below on-demand, an estimate)",
                )
            )
    if target.capacity.mode == "reserved":
        cost.commitments.append(_odcr(name, target, price, od_base))
    option = _reservation_option(name, "ec2", sku, base=od_base, price=price, prices=prices)
    if option:
        cost.commitments.append(option)
    return cost


def _odcr(name: str, target: GpuFleetTarget, price: Price | None, od_base: int) -> Commitment:
    """An On-Demand Capacity Reservation: no discount, billed whether used or not.

    With an unknown price the commitment is still reported -- the stack buys it -- with
    its money unknown and the reason in the note."""
    reserved = target.capacity.units
    label = f"capacity reservation {', '.join(target.capacity.reservation_ids) or ''}".strip()
    if price is None:
        return Commitment(
            name,
            f"{label} ({reserved or '?'} x {target.instance_type})",
            True,
            None,
            None,
            1.0,
            "utilisation",
            min(reserved, od_base) / reserved if reserved else None,
            f"no EC2 price for {target.instance_type} in {target.region}: cost unknown "
            "(ODCRs bill at the on-demand rate for every reserved hour; see --prices)",
        )
    if reserved is None:
        return Commitment(
            name,
            label,
            True,
            None,
            None,
            1.0,
            "utilisation",
            None,
            "reserved count unknown offline (set capacity.units; preflight reads the "
            "reservation); ODCRs bill at the on-demand rate, so break-even is 100% use",
        )
    monthly = reserved * HOURS_PER_MONTH * price.usd
    used = min(reserved, od_base) * HOURS_PER_MONTH * price.usd
    return Commitment(
        name,
        f"{label} ({reserved} x {target.instance_type})",
        True,
        monthly,
        used,
        1.0,
        "utilisation",
        min(reserved, od_base) / reserved,
        f"ODCR: on-demand rate for every reserved hour ({usd(price.usd)}/h); pair with a "
        "Savings Plan for a discount",
    )
