"""Real offline plans of the shipped stacks, and small graph mutations of them, for the
wiring rules.

Every target component publishes its own ``endpoint.auth/reach/grants`` and every router
its ``network``/``identity`` and grant resources (docs/wiring.md), so the fixture world
is exactly what ``inferplane plan`` produces: a test breaks one real resource and expects
its rule to fire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from inferplane.plan import Graph, run_program
from inferplane.plan.graph import Resource as GraphResource
from inferplane.policies.config import default_policy
from inferplane.policies.engine import evaluate
from inferplane.policies.model import Context
from inferplane.policies.normalize import stack_from_graph
from inferplane.policies.registry import all_rules
from inferplane.spec import load_stack, provider_regions
from tests.policies.support import ROOT

ROUTER = "inferplane:index:RouterService"


@cache
def _planned(stack: str) -> str:
    return run_program(ROOT, load_stack(ROOT, stack)).to_json()


def planned(stack: str) -> Graph:
    """A fresh copy of the offline plan of ``stacks/Pulumi.<stack>.yaml``."""
    return Graph.from_dict(json.loads(_planned(stack)))


def findings(graph: Graph, rule_ids: Iterable[str]) -> set[tuple[str, str | None]]:
    """(rule, resource name) of every finding of ``rule_ids`` on ``graph``."""
    wanted = set(rule_ids)
    stack_file = load_stack(ROOT, graph.stack)
    stack = stack_from_graph(graph, stack_file.spec, provider_regions(stack_file.config))
    rules = [r for r in all_rules() if r.id in wanted]
    report = evaluate(stack, Context(default_policy(), stack_file.spec), rules)
    return {(f.rule.id, f.resource_name) for f in report.findings}


def messages(graph: Graph, rule_id: str) -> list[str]:
    stack_file = load_stack(ROOT, graph.stack)
    stack = stack_from_graph(graph, stack_file.spec, provider_regions(stack_file.config))
    rules = [r for r in all_rules() if r.id == rule_id]
    report = evaluate(stack, Context(default_policy(), stack_file.spec), rules)
    return [f.message for f in report.findings]


# --- graph access ------------------------------------------------------------------------


Mutation = Callable[[Graph], object]
"""An edit of a planned graph (its result, if any, is ignored)."""


def both(*mutations: Mutation) -> Mutation:
    """Every mutation, in order."""

    def mutate(graph: Graph) -> None:
        for mutation in mutations:
            mutation(graph)

    return mutate


def named(graph: Graph, name: str, type_: str | None = None) -> GraphResource:
    found = [r for r in graph.resources if r.name == name and type_ in (None, r.type)]
    assert len(found) == 1, f"{name} {type_}: {[r.type for r in found]}"
    return found[0]


def router(graph: Graph) -> GraphResource:
    return next(r for r in graph.resources if r.type == ROUTER)


def config(graph: Graph) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(router(graph).outputs["config_json"])
    return document


def set_config(graph: Graph, data: dict[str, Any]) -> None:
    router(graph).outputs["config_json"] = json.dumps(data, sort_keys=True)


def drop(graph: Graph, name: str, type_: str) -> None:
    graph.resources.remove(named(graph, name, type_))
