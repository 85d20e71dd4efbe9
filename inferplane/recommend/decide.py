"""Requirements -> architecture, by the decision table."""

from __future__ import annotations

from dataclasses import dataclass

from inferplane.recommend.requirements import Architecture, Requirements
from inferplane.recommend.table import RULES, Rule

__all__ = ["Decision", "decide"]


@dataclass(frozen=True)
class Decision:
    architecture: Architecture
    cloud: Architecture | None
    """The cloud pattern of a hybrid (or the whole answer when not edge/hybrid)."""
    fired: tuple[Rule, ...]
    """Every row that applies, in table order."""
    warnings: tuple[str, ...] = ()

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.fired)

    def fired_rule(self, rule_id: str) -> bool:
        return rule_id in self.rule_ids


def decide(requirements: Requirements) -> Decision:
    fired = tuple(rule for rule in RULES if rule.when(requirements))
    # The first preference row that fires picks the cloud pattern. Frontier sits above
    # steady volume: frontier models are not self-hosted, steady volume buys provisioned
    # throughput for them instead.
    cloud: Architecture = next(
        (r.architecture for r in fired if r.kind == "preference" and r.architecture),
        "managed_api",
    )
    constraints = {r.id for r in fired if r.kind == "constraint"}
    warnings: list[str] = []
    if constraints & {"edge-latency", "edge-offline", "premises-data"}:
        if requirements.capability == "frontier":
            warnings.append(
                "frontier capability is not available at the edge; the edge runs an open "
                "model (quality trade-off)"
            )
        return Decision("edge", None, fired, tuple(warnings))
    if "mixed-sensitivity" in constraints:
        return Decision("hybrid", cloud, fired, tuple(warnings))
    budget = requirements.latency_budget_ms
    if budget is not None and budget < 200:
        warnings.append(
            f"latency budget {budget:g} ms is below typical cloud latency (200-2000 ms); "
            "measure p50 before launch"
        )
    return Decision(cloud, cloud, fired, tuple(warnings))
