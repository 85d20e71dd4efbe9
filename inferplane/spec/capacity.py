"""Scaling and capacity (on-demand, provisioned, reserved) shared by target kinds."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from inferplane.spec.base import SpecModel, Unique

__all__ = ["Capacity", "CapacityMode", "CommitmentTerm", "Scaling"]

CapacityMode = Literal["on_demand", "provisioned", "reserved"]
CommitmentTerm = Literal["none", "1_month", "6_months", "1_year", "3_years"]


class Scaling(SpecModel):
    """Replica or instance bounds. ``min: 0`` means scale to zero where the kind allows."""

    min: int = Field(default=1, ge=0, le=1000)
    max: int = Field(default=1, ge=1, le=1000)
    desired: int | None = Field(default=None, ge=0, le=1000)
    target: float | None = Field(default=None, gt=0)
    """Target-tracking value: invocations per instance, concurrency or utilisation %."""
    cold_start_s: float | None = Field(default=None, gt=0, le=3600)
    """With ``min: 0``: expected seconds from zero instances to the first answer. The
    router waits for a cold target within a request's latency budget and falls back when
    the budget is shorter (default per kind: ``inferplane.coldstart``)."""

    @model_validator(mode="after")
    def _ordered(self) -> Scaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        if self.desired is not None and not self.min <= self.desired <= self.max:
            raise ValueError(
                f"desired ({self.desired}) must be between min ({self.min}) and max ({self.max})"
            )
        if self.cold_start_s is not None and self.min > 0:
            raise ValueError(
                f"cold_start_s {self.cold_start_s}: only a target that scales to zero starts "
                f"cold; allowed with min: 0 (min is {self.min})"
            )
        return self


class Capacity(SpecModel):
    """How capacity is bought: on demand, provisioned (committed throughput) or reserved."""

    mode: CapacityMode = "on_demand"
    units: int | None = Field(default=None, ge=1, le=10_000)
    """Model units (Bedrock), PTUs (Azure OpenAI) or instances to reserve (GPU fleet)."""
    term: CommitmentTerm = "none"
    """Commitment term; ``none`` is hourly, no commitment."""
    approval: str | None = None
    """Change or approval reference for a commitment (tagged ``capacity-approval``)."""
    end_date: dt.date | None = None
    """When a created reservation ends (ISO date, YYYY-MM-DD; must not be past); required
    outside prod."""
    reservation_ids: Unique[str] = ()
    """Existing capacity reservations to target (EC2 ODCR IDs)."""
    preference: (
        Literal["open", "capacity-reservations-first", "capacity-reservations-only"] | None
    ) = None
    """How instances use reservations (EC2); defaults to targeting ``reservation_ids``."""

    @model_validator(mode="after")
    def _consistent(self) -> Capacity:
        if self.mode == "on_demand" and (self.units or self.term != "none"):
            raise ValueError("on_demand capacity takes no units or term")
        if self.mode == "provisioned" and self.units is None:
            raise ValueError("provisioned capacity needs units")
        for rid in self.reservation_ids:
            if not rid.startswith("cr-"):
                raise ValueError(
                    f"reservation_ids: {rid!r} is not an EC2 capacity reservation ID (cr-...)"
                )
        return self
