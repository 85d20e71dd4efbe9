"""Every shipped stack plans offline, and its router carries only that stack's targets."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from inferplane.plan import Graph, run_program
from inferplane.routerconfig import endpoints_from_graph
from inferplane.spec import list_stacks, load_stack

ROOT = Path(__file__).resolve().parents[2]
STACKS = list_stacks(ROOT)


@cache
def planned(stack: str) -> Graph:
    return run_program(ROOT, load_stack(ROOT, stack))


def test_every_stack_is_covered() -> None:
    assert {"dev", "prod-us-east-1", "prod-eu-central-1"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_plans_with_a_component_per_target(stack: str) -> None:
    graph = planned(stack)
    spec = load_stack(ROOT, stack).spec
    assert set(endpoints_from_graph(graph, spec)) == set(spec.targets)
    assert all(r.parent for r in graph.resources if r.custom and not r.type.startswith("pulumi:"))


@pytest.mark.parametrize("stack", STACKS)
def test_router_config_in_graph_names_only_this_stacks_targets(stack: str) -> None:
    graph = planned(stack)
    spec = load_stack(ROOT, stack).spec
    routers = [r for r in graph.resources if r.type == "inferplane:index:RouterService"]
    assert len(routers) == 1
    config = json.loads(routers[0].outputs["config_json"])
    assert set(config["targets"]) == set(spec.targets)
    assert config["stack"] == stack
    assert "router_url" in graph.stack_outputs


@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_resource_carries_the_common_tags(stack: str) -> None:
    graph = planned(stack)
    for resource in graph.resources:
        tags = resource.inputs.get("tags")
        if isinstance(tags, dict) and resource.type.startswith("aws:"):
            assert {"environment", "owner", "cost-center"} <= set(tags), resource.urn
