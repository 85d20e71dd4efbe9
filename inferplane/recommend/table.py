"""The seed article's decision table, one row per rule.

"AI Model Deployment Strategies: Edge, Cloud, and Hybrid": latency under 50 ms or offline
operation -> edge; data that must not leave the premises -> edge (all of it) or hybrid
(some of it: most enterprises); frontier capability, rapid prototyping, low or
unpredictable volume -> managed API; steady high volume -> self-hosted or reserved
capacity (30-40% below on-demand); variable/spiky load -> serverless; custom or
fine-tuned models with control -> managed hosting; model choice by task -> 10-50x cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from inferplane.recommend.requirements import Architecture, Requirements

__all__ = [
    "EDGE_LATENCY_MS",
    "HIGH_VOLUME_RPS",
    "LOW_VOLUME_RPS",
    "RULES",
    "Rule",
]

EDGE_LATENCY_MS = 50.0
"""Below this budget only the edge answers in time (cloud: 200-2000 ms, edge: 1-50 ms)."""
LOW_VOLUME_RPS = 1.0
"""Under ~2.6M requests a month a dedicated instance idles most of the time."""
HIGH_VOLUME_RPS = 10.0
"""From ~26M requests a month a busy always-on fleet (and its reservation) pays off."""

RuleKind = Literal["constraint", "preference", "advice"]


@dataclass(frozen=True)
class Rule:
    id: str
    kind: RuleKind
    """``constraint`` decides where data may go; ``preference`` picks the cloud pattern;
    ``advice`` changes the starter stack without changing the architecture."""
    architecture: Architecture | None
    when: Callable[[Requirements], bool]
    reason: str


RULES: tuple[Rule, ...] = (
    Rule(
        "edge-latency",
        "constraint",
        "edge",
        lambda r: r.latency_budget_ms is not None and r.latency_budget_ms < EDGE_LATENCY_MS,
        "latency budget under 50 ms: cloud models answer in 200-2000 ms, the edge in 1-50 ms",
    ),
    Rule("edge-offline", "constraint", "edge", lambda r: r.offline, "must work offline"),
    Rule(
        "premises-data",
        "constraint",
        "edge",
        lambda r: r.restricted_share == 1,
        "all data must stay on the premises",
    ),
    Rule(
        "mixed-sensitivity",
        "constraint",
        "hybrid",
        lambda r: 0 < r.restricted_share < 1,
        "some data must stay on the premises: sensitive requests at the edge, the rest in "
        "the cloud (where most enterprises end up)",
    ),
    Rule(
        "custom-model",
        "preference",
        "managed_hosting",
        lambda r: r.capability == "custom",
        "a custom or fine-tuned model with control over it: managed hosting",
    ),
    Rule(
        "frontier-capability",
        "preference",
        "managed_api",
        lambda r: r.capability == "frontier",
        "frontier capability is only offered through managed APIs",
    ),
    Rule(
        "steady-high-volume",
        "preference",
        "self_hosted",
        lambda r: r.volume == "steady" and r.rps >= HIGH_VOLUME_RPS,
        "steady high volume: self-hosted or reserved/provisioned capacity "
        "(reserved runs 30-40% below on-demand)",
    ),
    Rule(
        "variable-load",
        "preference",
        "serverless",
        lambda r: r.volume == "variable",
        "variable or spiky load: serverless scales to zero between bursts",
    ),
    Rule(
        "rapid-prototyping",
        "preference",
        "managed_api",
        lambda r: r.time_to_market == "days",
        "rapid prototyping: a managed API is ready today, pay per token",
    ),
    Rule(
        "low-or-unknown-volume",
        "preference",
        "managed_api",
        lambda r: r.volume == "unknown" or r.rps < LOW_VOLUME_RPS,
        "low or unpredictable volume: pay per token instead of idle instances",
    ),
    Rule(
        "model-by-task",
        "advice",
        None,
        lambda r: r.capability == "frontier",
        "choose the model by task: simple requests on a small model cost 10-50x less; "
        "route only the complex tier to the frontier model",
    ),
)
"""Preference rows are in priority order: the first that fires picks the cloud pattern."""
