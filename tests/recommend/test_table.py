"""Table-driven: one case per row of the seed's decision table (every row is covered)."""

from __future__ import annotations

from typing import Any

import pytest

from inferplane.recommend import RULES, Requirements, decide

# rule id -> (requirements that fire it, expected architecture, expected cloud pattern)
CASES: dict[str, tuple[dict[str, Any], str, str | None]] = {
    "edge-latency": ({"latency_budget_ms": 30, "volume": "steady", "rps": 2}, "edge", None),
    "edge-offline": ({"offline": True, "volume": "steady", "rps": 2}, "edge", None),
    "premises-data": ({"restricted_share": 1.0, "volume": "steady", "rps": 2}, "edge", None),
    "mixed-sensitivity": (
        {"restricted_share": 0.3, "volume": "steady", "rps": 2},
        "hybrid",
        "managed_api",
    ),
    "custom-model": (
        {"capability": "custom", "volume": "steady", "rps": 20},
        "managed_hosting",
        "managed_hosting",
    ),
    "frontier-capability": (
        {"capability": "frontier", "volume": "steady", "rps": 50},
        "managed_api",
        "managed_api",
    ),
    "steady-high-volume": ({"volume": "steady", "rps": 40}, "self_hosted", "self_hosted"),
    "variable-load": ({"volume": "variable", "rps": 5}, "serverless", "serverless"),
    "rapid-prototyping": (
        {"time_to_market": "days", "volume": "steady", "rps": 5},
        "managed_api",
        "managed_api",
    ),
    "low-or-unknown-volume": ({"volume": "unknown", "rps": 5}, "managed_api", "managed_api"),
    "model-by-task": (
        {"capability": "frontier", "volume": "variable", "rps": 5},
        "managed_api",
        "managed_api",
    ),
}


def test_every_row_has_a_case() -> None:
    assert set(CASES) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule_id", list(CASES))
def test_row(rule_id: str) -> None:
    data, architecture, cloud = CASES[rule_id]
    decision = decide(Requirements.model_validate(data))
    assert decision.fired_rule(rule_id), decision.rule_ids
    assert decision.architecture == architecture
    assert decision.cloud == cloud


@pytest.mark.parametrize(
    ("data", "absent"),
    [
        ({"latency_budget_ms": 50, "volume": "steady", "rps": 2}, "edge-latency"),
        ({"restricted_share": 0.0, "volume": "steady", "rps": 2}, "mixed-sensitivity"),
        ({"volume": "steady", "rps": 9.9}, "steady-high-volume"),
        ({"volume": "steady", "rps": 1}, "low-or-unknown-volume"),
    ],
)
def test_row_boundaries(data: dict[str, Any], absent: str) -> None:
    assert absent not in decide(Requirements.model_validate(data)).rule_ids


def test_edge_with_frontier_warns_about_quality() -> None:
    decision = decide(Requirements(offline=True, capability="frontier"))
    assert decision.architecture == "edge"
    assert any("frontier capability is not available at the edge" in w for w in decision.warnings)


def test_hybrid_cloud_part_follows_the_preference_rows() -> None:
    decision = decide(Requirements(restricted_share=0.2, volume="steady", rps=40))
    assert (decision.architecture, decision.cloud) == ("hybrid", "self_hosted")


def test_low_cloud_latency_budget_warns() -> None:
    decision = decide(Requirements(latency_budget_ms=120))
    assert decision.architecture == "managed_api"
    assert any("below typical cloud latency" in w for w in decision.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"region": "mars-1"}, "not an AWS region"),
        ({"rps": 5, "peak_rps": 1}, "below rps"),
        ({"restricted_share": 2}, "less than or equal to 1"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_invalid_requirements(data: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Requirements.model_validate(data)
