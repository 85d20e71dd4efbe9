"""Every rule: its compliant world passes, and each mutation of it violates the rule."""

from __future__ import annotations

import pytest

from tests.policies.cases import CASES, fresh, violations

MUTATIONS = [(case, label) for case in CASES for label in case.mutations]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_compliant_world_passes(case) -> None:
    assert violations(case.rule, fresh(case)) == []


@pytest.mark.parametrize(
    ("case", "label"), MUTATIONS, ids=[f"{c.rule}-{label}" for c, label in MUTATIONS]
)
def test_mutation_violates(case, label: str) -> None:
    world = fresh(case)
    case.mutations[label](world)
    found = violations(case.rule, world)
    assert found, f"{case.rule} did not flag: {label}"
    assert all(v.message for v in found)


def test_every_rule_has_a_case_with_mutations() -> None:
    from policies.registry import rule_ids

    assert {c.rule for c in CASES} == set(rule_ids())
    assert all(c.mutations for c in CASES)
