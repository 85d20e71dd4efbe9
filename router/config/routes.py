"""Routes and data classes: which targets a request may go to, in which order."""

from __future__ import annotations

from typing import Literal

from .base import Model

__all__ = ["DataClassConfig", "Placement", "RouteConfig", "RouteMatch", "Tier"]

Tier = Literal["simple", "moderate", "complex"]
Placement = Literal["any", "zone", "edge"]


class RouteMatch(Model):
    """All given fields must match; an empty match matches every request."""

    data_class: str | None = None
    latency_ms_max: int | None = None
    tier: Tier | None = None
    alias: str | None = None


class RouteConfig(Model):
    """An ordered routing rule: the first matching route decides the target list."""

    name: str
    match: RouteMatch = RouteMatch()
    targets: tuple[str, ...]
    max_tokens: int | None = None
    order: Literal["listed", "cost"] = "listed"
    """``cost``: try the targets cheapest first by their price per 1k tokens (unknown
    prices last, ties in listed order); ``listed``: as written (``router.ordering``)."""


class DataClassConfig(Model):
    placement: Placement
    rank: int
    """Sensitivity: higher is stricter. PII detection only ever raises the rank."""
