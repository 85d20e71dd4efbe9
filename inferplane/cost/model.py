"""What an estimate is made of: line items, commitment analyses, and the stack total.

``monthly_usd is None`` means unknown (a price or an input is missing); the reason is in
``basis``. Totals add only known items and say how many are unknown -- never as zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Commitment", "LineItem", "StackEstimate", "TargetCost"]


@dataclass(frozen=True)
class LineItem:
    """One thing the stack pays for each month."""

    target: str
    """Target name, or ``router``."""
    kind: str
    item: str
    """What is billed, e.g. ``ml.g5.2xlarge instance-hours``."""
    monthly_usd: float | None
    basis: str
    """The arithmetic behind the number, or why it is unknown."""
    billed: bool = True
    """False for on-premises hardware: real cost, but not on a cloud bill."""

    @property
    def unknown(self) -> bool:
        return self.billed and self.monthly_usd is None


@dataclass(frozen=True)
class Commitment:
    """A commitment in the stack (or an option for one) against paying on demand."""

    target: str
    commitment: str
    in_stack: bool
    """True when the stack buys it; False for an option the estimate suggests."""
    monthly_usd: float | None
    on_demand_usd: float | None
    """The same usage at on-demand prices."""
    break_even: float | None
    break_even_unit: str
    """``utilisation`` (fraction of hours) or ``rps`` (average requests per second)."""
    forecast: float | None
    """The forecast on the same scale as ``break_even``."""
    note: str = ""

    @property
    def saving_usd(self) -> float | None:
        """On-demand cost minus commitment cost; negative when the commitment costs more."""
        if self.monthly_usd is None or self.on_demand_usd is None:
            return None
        return self.on_demand_usd - self.monthly_usd

    @property
    def saving_fraction(self) -> float | None:
        saving = self.saving_usd
        if saving is None or not self.on_demand_usd:
            return None
        return saving / self.on_demand_usd


@dataclass
class TargetCost:
    items: list[LineItem] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)


@dataclass(frozen=True)
class StackEstimate:
    stack: str
    as_of: str
    """Date of the price table used."""
    items: tuple[LineItem, ...]
    commitments: tuple[Commitment, ...]
    assumptions: tuple[str, ...]

    @property
    def known_total(self) -> float:
        return sum(i.monthly_usd for i in self.items if i.billed and i.monthly_usd is not None)

    @property
    def unknown_items(self) -> tuple[LineItem, ...]:
        return tuple(i for i in self.items if i.unknown)

    def target_total(self, target: str) -> float | None:
        """A target's monthly cost; None if any of its billed items is unknown."""
        items = [i for i in self.items if i.target == target and i.billed]
        if any(i.monthly_usd is None for i in items):
            return None
        return sum(i.monthly_usd or 0.0 for i in items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "prices_as_of": self.as_of,
            "currency": "USD",
            "monthly_total_known_usd": round(self.known_total, 2),
            "unknown_items": len(self.unknown_items),
            "items": [asdict(i) for i in self.items],
            "commitments": [
                {**asdict(c), "saving_usd": c.saving_usd, "saving_fraction": c.saving_fraction}
                for c in self.commitments
            ],
            "assumptions": list(self.assumptions),
        }
