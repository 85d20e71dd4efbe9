"""Expected traffic: sizes cost estimates and judges reserved capacity."""

from __future__ import annotations

from pydantic import Field, model_validator

from inferplane.spec.base import SpecModel

__all__ = ["Forecast"]


class Forecast(SpecModel):
    steady_rps: float = Field(ge=0)
    peak_rps: float = Field(ge=0)
    avg_input_tokens: int = Field(default=800, ge=1)
    avg_output_tokens: int = Field(default=200, ge=1)
    peak_hours_per_day: float = Field(default=4, ge=0, le=24)
    shares: dict[str, float] = Field(default_factory=dict)
    """Fraction of requests each named target serves (cost estimates). Targets not listed
    get nothing, except that without any shares the first target of the catch-all route
    serves everything."""

    @model_validator(mode="after")
    def _peak_above_steady(self) -> Forecast:
        if self.peak_rps < self.steady_rps:
            raise ValueError(f"peak_rps ({self.peak_rps}) is below steady_rps ({self.steady_rps})")
        return self

    @model_validator(mode="after")
    def _shares_are_fractions(self) -> Forecast:
        for target, share in self.shares.items():
            if not 0 <= share <= 1:
                raise ValueError(f"shares.{target}: {share} is not a fraction between 0 and 1")
        total = sum(self.shares.values())
        if total > 1 + 1e-9:
            raise ValueError(f"shares add up to {total:g}; at most 1 is allowed")
        return self

    @property
    def monthly_requests(self) -> float:
        peak_h = self.peak_hours_per_day * 30
        return 3600 * (self.peak_rps * peak_h + self.steady_rps * (720 - peak_h))
