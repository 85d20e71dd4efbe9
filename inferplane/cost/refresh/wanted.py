"""Which prices a stack's estimate looks up, found by running the real estimators against
a table that records every lookup -- so the list can never drift from the estimators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import PrivateAttr

from inferplane.cost.estimate import estimate_stack
from inferplane.cost.prices import Price, PriceTable, Unit
from inferplane.spec import StackFile, provider_regions
from inferplane.spec.capacity import CommitmentTerm

__all__ = ["PriceKey", "needed_prices"]


@dataclass(frozen=True, order=True)
class PriceKey:
    service: str
    sku: str
    region: str
    unit: str
    term: str
    found: bool
    """Whether the table (with any override) answers it."""


class _Recording(PriceTable):
    """The table, remembering every key asked of it."""

    _asked: list[tuple[str, str, str | None, str, str, bool]] = PrivateAttr(default_factory=list)

    def lookup(
        self,
        service: str,
        sku: str,
        region: str | None,
        unit: Unit,
        term: CommitmentTerm = "none",
    ) -> Price | None:
        price = super().lookup(service, sku, region, unit, term)
        self._asked.append((service, sku, region, unit, term, price is not None))
        return price


def needed_prices(stacks: Iterable[StackFile], table: PriceTable) -> list[PriceKey]:
    """Every price the estimates of ``stacks`` look up, once, sorted; ``found`` says
    whether ``table`` has it."""
    recording = _Recording.model_validate(table.model_dump())
    for stack in stacks:
        estimate_stack(stack.spec, stack.name, provider_regions(stack.config), recording)
    keys: dict[tuple[Any, ...], PriceKey] = {}
    for service, sku, region, unit, term, found in recording._asked:
        key = (service, sku, region or "*", unit, term)
        keys[key] = PriceKey(*key, found=found or keys.get(key, PriceKey(*key, False)).found)
    return sorted(keys.values())
