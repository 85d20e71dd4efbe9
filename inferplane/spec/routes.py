"""Routes: ordered rules that send a request to targets in preference order."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from inferplane.spec.base import Name, SpecModel, Unique

__all__ = ["Route", "RouteMatch", "Tier"]

Tier = Literal["simple", "moderate", "complex"]


class RouteMatch(SpecModel):
    """All given fields must match a request; an empty match matches every request."""

    data_class: str | None = None
    latency_ms_max: int | None = Field(default=None, ge=1, le=600_000)
    """Matches requests whose latency budget (header) is at most this."""
    tier: Tier | None = None
    alias: str | None = None
    """Matches requests for this model name (it is listed by ``/v1/models``)."""


class Route(SpecModel):
    """One rule: the first matching route decides which targets are tried, in order."""

    name: Name | None = None
    """Defaults to ``route-<position>``."""
    match: RouteMatch = RouteMatch()
    targets: Unique[str] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    """Caps the output length of requests on this route."""
    order: Literal["listed", "cost"] = "listed"
    """``cost``: the router tries the targets cheapest first (input + output price per 1k
    tokens from the price table; unpriced targets last, ties as listed); ``listed``: in
    the order written."""
