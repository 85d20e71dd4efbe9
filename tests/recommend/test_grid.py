"""Every starter ``recommend`` can write passes plan + check, over a broad grid of answers.

The 11 table rows pin one answer each; users answer every question at once. This grid
covers every pair of values of every two questions (an all-pairs design, built greedily
and deterministically below), in three regions of the default org policy with different
price coverage, and runs each starter through the real program under the mock engine and
the policy pack.
"""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from inferplane.policies.offline import check_stack
from inferplane.recommend import Requirements
from inferplane.recommend.report import recommend
from tests.recommend.test_starter import _approving_sites, _project, recommend_into

FACTORS: dict[str, tuple[Any, ...]] = {
    "latency_budget_ms": (None, 30, 150, 1500),
    "offline": (False, True),
    "restricted_share": (0.0, 0.3, 1.0),
    "data_sensitivity": ("public", "internal", "confidential"),
    "regulated": (False, True),
    "capability": ("frontier", "general", "custom"),
    "volume": ("steady", "variable", "unknown"),
    "rps": (0.2, 5, 60),
    "time_to_market": ("days", "weeks", "months"),
    "region": ("us-east-1", "eu-central-1", "eu-west-1"),
}


Pair = tuple[str, Any, str, Any]


def _newly_covered(uncovered: set[Pair], row: dict[str, Any], name: str, value: Any) -> int:
    """How many uncovered pairs ``name = value`` would cover in ``row``."""
    return sum(
        (k, row[k], name, value) in uncovered or (name, value, k, row[k]) in uncovered for k in row
    )


def all_pairs(factors: dict[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    """A small set of rows in which every pair of values of every two factors appears."""
    names = list(factors)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in factors[a]
        for vb in factors[b]
    }
    rows: list[dict[str, Any]] = []
    while uncovered:
        # Seed each row with an uncovered pair, then fill every other factor greedily.
        a, va, b, vb = min(uncovered, key=repr)
        row: dict[str, Any] = {a: va, b: vb}
        for name in names:
            if name in row:
                continue
            row[name] = max(factors[name], key=partial(_newly_covered, uncovered, row, name))
        covered = {(x, row[x], y, row[y]) for x, y in itertools.combinations(names, 2)}
        uncovered -= covered
        rows.append(row)
    return rows


ROWS = all_pairs(FACTORS)


def _id(row: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items())


def test_the_grid_covers_every_pair() -> None:
    for a, b in itertools.combinations(FACTORS, 2):
        seen = {(row[a], row[b]) for row in ROWS}
        assert seen == set(itertools.product(FACTORS[a], FACTORS[b])), (a, b)
    assert len(ROWS) < 40  # all-pairs, not the 30k-row product


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_every_starter_passes_plan_and_check(tmp_path: Path, row: dict[str, Any]) -> None:
    data = dict(row)
    if data["capability"] == "custom":
        data["model"] = "Qwen/Qwen2.5-7B-Instruct"
    # The whole recommendation first: every cloud pattern is priced or refused with a
    # reason (a starter that would not load is never offered); the recommended one is offered.
    result = recommend(Requirements.model_validate(data))
    decision = result.decision
    for option in result.options:
        assert (option.estimate is None) == (option.refused is not None), option
    chosen = [o for o in result.options if o.architecture == decision.cloud]
    assert all(o.estimate is not None for o in chosen), chosen
    result.view()  # renders
    stack = recommend_into(_project(tmp_path), "starter", data)
    report, _ = check_stack(tmp_path, stack, _approving_sites(stack.spec.residency))
    blocking = [
        f"{f.rule.id} {f.resource_name}: {f.message}" for f in report.findings if f.blocking
    ]
    assert not blocking, f"{decision.architecture}: {blocking}"
