"""IP-SAF-014 (a prod router's telemetry goes over TLS unless to loopback) on real offline
plans: each case sets ``router.otlp_endpoint`` in a shipped stack's spec, plans the
stack (the router component renders it into its RouterConfig) and expects the exact
(rule, resource) findings."""

from __future__ import annotations

import copy
import dataclasses
from functools import cache

import pytest

from inferplane.plan import Graph, run_program
from inferplane.policies.config import default_policy
from inferplane.policies.engine import evaluate
from inferplane.policies.model import Context
from inferplane.policies.normalize import stack_from_graph
from inferplane.policies.registry import all_rules
from inferplane.policies.rules.saf_014_router_telemetry_tls import plaintext_off_host
from inferplane.router.config import RouterConfig
from inferplane.spec import load_stack, provider_regions
from inferplane.spec.load import SPEC_KEY, StackFile
from tests.policies.support import ROOT

RULE = "IP-SAF-014"
ROUTER = "inferplane:index:RouterService"


def with_endpoint(stack: str, endpoint: str | None) -> StackFile:
    loaded = load_stack(ROOT, stack)
    config = copy.deepcopy(loaded.config)
    if endpoint is not None:
        config[SPEC_KEY]["router"]["otlp_endpoint"] = endpoint
    return dataclasses.replace(loaded, config=config)


@cache
def planned(stack: str, endpoint: str | None) -> tuple[StackFile, Graph]:
    """The stack with ``endpoint`` and its offline plan (each planned once; never mutated)."""
    stack_file = with_endpoint(stack, endpoint)
    return stack_file, run_program(ROOT, stack_file)


def report(stack: str, endpoint: str | None) -> list[tuple[str, str | None, str]]:
    """(rule, resource, message) of each IP-SAF-014 finding on the planned stack."""
    stack_file, graph = planned(stack, endpoint)
    normalized = stack_from_graph(graph, stack_file.spec, provider_regions(stack_file.config))
    rules = [r for r in all_rules() if r.id == RULE]
    found = evaluate(normalized, Context(default_policy(), stack_file.spec), rules).findings
    return [(f.rule.id, f.resource_name, f.message) for f in found]


CASES = [
    ("prod-us-east-1", None, set()),
    ("prod-us-east-1", "http://otel.internal.example:4317", {(RULE, "router")}),
    ("prod-us-east-1", "https://otel.internal.example:4317", set()),
    ("prod-us-east-1", "http://localhost:4317", set()),  # the ADOT Lambda extension
    ("prod-k8s", "http://10.0.0.12:4317", {(RULE, "router")}),
    ("prod-k8s", "http://127.0.0.1:4317", set()),  # a sidecar collector
    ("dev", "http://otel.internal.example:4317", set()),  # not prod
]


@pytest.mark.parametrize(("stack", "endpoint", "expected"), CASES)
def test_plaintext_telemetry_off_the_host_is_refused_in_prod(
    stack: str, endpoint: str | None, expected: set[tuple[str, str]]
) -> None:
    _, graph = planned(stack, endpoint)
    [router] = [r for r in graph.resources if r.type == ROUTER]
    rendered = RouterConfig.from_json(router.outputs["config_json"])
    assert rendered.telemetry.otlp_endpoint == endpoint  # what the rule reads
    assert {(rule, resource) for rule, resource, _ in report(stack, endpoint)} == expected


def test_the_finding_says_what_leaks_and_what_is_allowed() -> None:
    found = report("prod-us-east-1", "http://otel.internal.example:4317")
    assert [message for _, _, message in found] == [
        "router 'router' exports its traces and metrics in plaintext to "
        "'http://otel.internal.example:4317' (telemetry.otlp_endpoint): request ids, routes, "
        "data classes, models and token counts would cross the network readable and "
        "forgeable; allowed: https://, or http:// to a collector on loopback"
    ]


@pytest.mark.parametrize(
    ("endpoint", "refused"),
    [
        ("http://localhost:4317", False),
        ("http://LOCALHOST.:4317", False),
        ("http://collector.localhost:4317", False),
        ("http://127.0.0.1:4317", False),
        ("http://127.9.8.7:4317", False),
        ("http://[::1]:4317", False),
        ("https://otel.example:4317", False),
        ("http://otel.example:4317", True),
        ("http://localhost.attacker.example:4317", True),
        ("http://127.0.0.1.nip.io:4317", True),
        ("http://[::ffff:10.0.0.1]:4317", True),
        ("http://10.0.0.1:4317", True),
        ("http://[::1:4317", True),  # malformed: not provably loopback
    ],
)
def test_which_hosts_are_loopback(endpoint: str, refused: bool) -> None:
    assert plaintext_off_host(endpoint) is refused
