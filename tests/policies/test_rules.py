"""Every rule: its compliant world passes, and each mutation of it violates the rule."""

from __future__ import annotations

import pytest

from tests.policies.cases import CASES, Case, fresh, violations

MUTATIONS = [(case, label) for case in CASES for label in case.mutations]


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_compliant_world_passes(case: Case) -> None:
    assert violations(case.rule, fresh(case)) == []


@pytest.mark.parametrize(
    ("case", "label"), MUTATIONS, ids=[f"{c.rule}-{label}" for c, label in MUTATIONS]
)
def test_mutation_violates(case: Case, label: str) -> None:
    world = fresh(case)
    case.mutations[label](world)
    found = violations(case.rule, world)
    assert found, f"{case.rule} did not flag: {label}"
    assert all(v.message for v in found)


# Rules over components' outputs are tested on real plans with graph mutations
# (test_wiring_rules.py) and, for the spec problem, through CrossGuard (test_crossguard.py).
PLAN_TESTED = {
    "IP-WIR-001", "IP-WIR-002", "IP-WIR-003", "IP-WIR-004", "IP-WIR-005",
    "IP-SAF-008", "IP-SAF-009",
    "IP-SAF-012", "IP-SAF-013",  # test_router_state_rules.py: router state on real plans
    "IP-SAF-014",  # test_router_telemetry_rule.py: the router's OTLP endpoint on real plans
    "IP-RES-008",  # test_policy_kinds.py: unlabelled requests on real plans
}  # fmt: skip


def test_every_rule_has_a_case_with_mutations() -> None:
    from inferplane.policies.registry import rule_ids

    assert {c.rule for c in CASES} | PLAN_TESTED == set(rule_ids())
    assert not {c.rule for c in CASES} & PLAN_TESTED
    assert all(c.mutations for c in CASES)


def test_unparsable_spec_is_reported_offline_too() -> None:
    from inferplane.policies.model import Context
    from inferplane.policies.rules.saf_009_spec_parses import RULE
    from tests.policies.support import context, stack

    ctx = context()
    assert RULE.evaluate(stack([]), ctx) == []
    broken = Context(ctx.policy, None, "targets.x.kind: unknown kind")
    assert [v.message for v in RULE.evaluate(stack([]), broken)] == [
        "the stack spec (config `inferplane:spec`) does not parse: targets.x.kind: unknown "
        "kind; the rules that need it cannot run"
    ]
