"""Issue 18: names the vendor compares case-insensitively (Azure SKUs and sizes, IAM
members, enum values) are compared that way by the rules, so a case change neither hides
a finding nor breaks an approval. Real plans of the shipped stacks, one value changed the
way a hand-edited program or another Pulumi program would write it (the spec itself
refuses most of these spellings: CrossGuard judges any program)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inferplane.plan import Graph
from inferplane.plan.graph import Resource as GraphResource
from inferplane.policies.config import default_policy
from inferplane.policies.engine import StackReport
from inferplane.policies.offline import check_graph
from inferplane.spec import load_stack, provider_regions
from tests.policies.support import ROOT
from tests.policies.wiring_world import planned


def named(graph: Graph, name: str) -> GraphResource:
    [resource] = [r for r in graph.resources if r.name == name]
    return resource


def sku(name: str) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        named(graph, "gpt-4o-mini-deployment").inputs["sku"]["name"] = name

    return mutate


def ml_instance(value: str) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        named(graph, "mistral-ml-deployment").inputs["properties"]["instanceType"] = value

    return mutate


def fleet_instance(value: str) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        named(graph, "llama-fleet-lt").inputs["instanceType"] = value

    return mutate


def network_access(value: str) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        named(graph, "gpt-4o-mini-account").inputs["properties"]["publicNetworkAccess"] = value

    return mutate


def profile(prefix: str) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        policy = named(graph, "claude-sonnet-invoke").inputs
        policy["policy"] = policy["policy"].replace("/us.amazon.", f"/{prefix}.amazon.")

    return mutate


# (label, stack, mutation, rule, expected finding resource or None)
CASES = [
    ("GlobalStandard in lower case", "prod-westeurope", sku("globalstandard"),
     "IP-RES-003", "gpt-4o-mini-deployment"),
    ("GlobalStandard in upper case", "prod-westeurope", sku("GLOBALSTANDARD"),
     "IP-RES-003", "gpt-4o-mini-deployment"),
    ("GlobalStandard as written", "prod-westeurope", sku("GlobalStandard"),
     "IP-RES-003", "gpt-4o-mini-deployment"),
    ("datazonestandard stays in the EU zone", "prod-westeurope", sku("datazonestandard"),
     "IP-RES-003", None),
    ("provisionedmanaged is a commitment", "prod-westeurope", sku("provisionedmanaged"),
     "IP-CAP-002", "gpt-4o-mini-deployment"),
    ("approved Azure size in upper case", "prod-westeurope",
     ml_instance("STANDARD_NC24ADS_A100_V4"), "IP-SAF-007", None),
    ("unapproved Azure GPU size in lower case", "prod-westeurope",
     ml_instance("standard_nd96isr_h100_v5"), "IP-SAF-007", "mistral-ml-deployment"),
    ("approved EC2 type in upper case", "prod-us-east-1", fleet_instance("G5.2XLARGE"),
     "IP-SAF-007", None),
    ("new EC2 GPU family in upper case", "prod-us-east-1", fleet_instance("G7E.2XLARGE"),
     "IP-SAF-007", "llama-fleet-lt"),
    ("'disabled' keeps a private Azure target private", "prod-westeurope",
     network_access("disabled"), "IP-WIR-004", None),
    ("'ENABLED' opens a private Azure target", "prod-westeurope",
     network_access("ENABLED"), "IP-WIR-004", "gpt-4o-mini-account"),
    ("global inference profile in upper case", "prod-us-east-1", profile("GLOBAL"),
     "IP-RES-002", "claude-sonnet-invoke"),
    ("eu profile in a us zone, mixed case", "prod-us-east-1", profile("Eu"),
     "IP-RES-002", "claude-sonnet-invoke"),
]  # fmt: skip


def check(graph: Graph) -> StackReport:
    stack_file = load_stack(ROOT, graph.stack)
    return check_graph(
        graph, stack_file.spec, default_policy(), provider_regions(stack_file.config)
    )


@pytest.mark.parametrize(("label", "stack", "mutate", "rule", "expected"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_case_does_not_change_the_verdict(
    label: str, stack: str, mutate: Callable[[Graph], None], rule: str, expected: str | None
) -> None:
    graph = planned(stack)
    mutate(graph)
    found = [f.resource_name for f in check(graph).findings if f.rule.id == rule]
    assert found == ([expected] if expected else []), found
