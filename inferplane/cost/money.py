"""Small helpers shared by the estimators: money formatting and unknown-aware arithmetic."""

from __future__ import annotations

__all__ = ["usd", "usd_or_unknown"]


def usd(value: float) -> str:
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.4g}"


def usd_or_unknown(value: float | None) -> str:
    return "unknown" if value is None else usd(value)
