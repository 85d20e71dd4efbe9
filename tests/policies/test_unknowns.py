"""Rules tolerate unknown (preview) and secret values anywhere without raising, and an
unknown value never produces a violation by itself being unknown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inferplane.policies.model import ResourceRule, StackRule
from inferplane.policies.registry import all_rules
from inferplane.policies.values import SECRET, UNKNOWN
from tests.policies.cases import CASES, Case, World, fresh
from tests.policies.support import deep_set


def leaf_paths(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaf_paths(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaf_paths(v, f"{prefix}.{i}")
    if prefix:
        yield prefix


def run_all(world: World) -> None:
    built, ctx = world.build()
    for rule in all_rules():
        if isinstance(rule, ResourceRule):
            for resource in built.resources:
                rule.evaluate(resource, ctx)
        else:
            assert isinstance(rule, StackRule)
            rule.evaluate(built, ctx)


@pytest.mark.parametrize("marker", [UNKNOWN, SECRET])
@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_every_property_unknown_is_tolerated(case: Case, marker: str) -> None:
    base = fresh(case)
    for name, item in base.items.items():
        for path in list(leaf_paths(item.props)):
            world = fresh(case)
            deep_set(world.props(name), path, marker)
            run_all(world)  # raises if any rule crashes


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_whole_properties_unknown_is_tolerated(case: Case) -> None:
    world = fresh(case)
    for item in world.items.values():
        for key in list(item.props):
            item.props[key] = UNKNOWN
    run_all(world)
