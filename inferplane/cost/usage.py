"""How much of the forecast each target serves.

With ``forecast.shares`` each listed target serves its share. Without shares, the first
target of the catch-all route (an empty match; else the last route) serves everything and
the rest are fallbacks that serve nothing -- a stated assumption, shown in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from inferplane.cost.assumptions import HOURS_PER_MONTH
from inferplane.spec import StackSpec

__all__ = ["TargetUsage", "primary_target", "usage_of"]


@dataclass(frozen=True)
class TargetUsage:
    """A target's share of the forecast, per month. ``requests is None``: no forecast."""

    share: float
    requests: float | None
    input_tokens: int
    output_tokens: int
    peak_hours: float
    """Hours per month at peak traffic."""

    @property
    def avg_rps(self) -> float | None:
        return None if self.requests is None else self.requests / (HOURS_PER_MONTH * 3600)


def primary_target(spec: StackSpec) -> str:
    catch_all = [r for r in spec.routes if r.match.model_dump(exclude_none=True) == {}]
    route = catch_all[0] if catch_all else spec.routes[-1]
    return route.targets[0]


def usage_of(spec: StackSpec, target: str) -> TargetUsage:
    forecast = spec.forecast
    if forecast is None:
        return TargetUsage(0.0, None, 0, 0, 0.0)
    if forecast.shares:
        share = forecast.shares.get(target, 0.0)
    else:
        share = 1.0 if target == primary_target(spec) else 0.0
    return TargetUsage(
        share=share,
        requests=forecast.monthly_requests * share,
        input_tokens=forecast.avg_input_tokens,
        output_tokens=forecast.avg_output_tokens,
        peak_hours=forecast.peak_hours_per_day * 30,
    )
