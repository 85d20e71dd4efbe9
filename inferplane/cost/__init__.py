"""Cost estimates from a dated price table: monthly cost per target and stack from the
spec's forecast, and for each commitment its break-even and saving against on demand."""

from __future__ import annotations

from inferplane.cost.estimate import ESTIMATORS, estimate_stack
from inferplane.cost.model import Commitment, LineItem, StackEstimate
from inferplane.cost.prices import Price, PriceTable, default_prices

__all__ = [
    "ESTIMATORS",
    "Commitment",
    "LineItem",
    "Price",
    "PriceTable",
    "StackEstimate",
    "default_prices",
    "estimate_stack",
]
