"""The order a route tries its targets in: as listed, or cheapest first.

``routes[].order: cost`` sorts a route's targets by their expected price of a request,
from the prices the config was rendered with (``input_cost_per_1k``,
``output_cost_per_1k``): input + output price per 1k tokens, the sum a typical chat
request's price follows. Targets without a price go last (an unknown price is not free),
and ties keep the listed order, so ``order: cost`` over equal prices changes nothing.
The order is fixed when the config is loaded; residency and health filter it per request.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.config import RouteConfig, TargetConfig

__all__ = ["price_per_1k", "route_order"]


def price_per_1k(target: TargetConfig) -> float | None:
    """Input plus output price per 1k tokens; None when neither is known."""
    if target.input_cost_per_1k is None and target.output_cost_per_1k is None:
        return None
    return (target.input_cost_per_1k or 0.0) + (target.output_cost_per_1k or 0.0)


def route_order(route: RouteConfig, targets: Mapping[str, TargetConfig]) -> tuple[str, ...]:
    """The targets of ``route`` in the order they are tried."""
    if route.order == "listed":
        return route.targets

    def cost(name: str) -> tuple[bool, float]:
        price = price_per_1k(targets[name])
        return (price is None, price or 0.0)

    return tuple(sorted(route.targets, key=cost))  # sorted() is stable: ties stay listed
