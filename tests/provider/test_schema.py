"""The multi-language package: Pulumi's own analyzer (``pulumi.provider.experimental``)
infers the schema of every public component, with each input and its docs, and the
provider's Construct path builds the same resources as the Python component does."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

import pytest
from pulumi.provider.experimental.component import ComponentProvider

from inferplane.plan import run_program
from inferplane.plan.graph import Graph
from inferplane.provider import PACKAGE, public_components, views
from inferplane.provider.docsource import field_docs
from inferplane.provider.views import _camel, args_type, to_wire
from inferplane.spec import load_stack
from tests.conftest import ROOT

# Every public component, by name: a new one must be added here (and so be looked at).
PUBLIC = {
    "AwsRouterState",
    "AzureMlEndpoint",
    "AzureNetwork",
    "AzureOpenAI",
    "AzureRouterState",
    "Bedrock",
    "CloudRunRouter",
    "CloudRunService",
    "ContainerAppRouter",
    "ContainerAppService",
    "EdgeFleet",
    "EdgeRouter",
    "EdgeSite",
    "GcpRouterState",
    "GoogleFederatedIdentity",
    "GoogleFederatedRole",
    "GpuFleet",
    "KubernetesRouter",
    "KubernetesWorkload",
    "LambdaFunction",
    "LambdaRouter",
    "ModelServer",
    "PrivateNetwork",
    "SageMakerEndpoint",
    "SageMakerServerlessEndpoint",
    "VertexEndpoint",
    "VpcNetwork",
}


@pytest.fixture(scope="module")
def provider() -> ComponentProvider:
    return ComponentProvider(views(), PACKAGE, None, "0.1.0")


@pytest.fixture(scope="module")
def schema(provider: ComponentProvider) -> dict[str, Any]:
    assert provider.schema is not None
    return dict(json.loads(provider.schema))


class _Base:
    kept: int
    """From the base."""
    replaced: int
    """The base's word."""
    bare: int


class _Derived(_Base):
    replaced: int
    """The nearest word wins."""
    own: str
    """Declared here."""


def test_field_docs_walks_the_bases_and_the_nearest_declaration_wins() -> None:
    assert field_docs(_Derived) == {
        "kept": "From the base.",
        "replaced": "The nearest word wins.",
        "own": "Declared here.",
    }


def test_every_public_component_is_hosted() -> None:
    assert {c.__name__ for c in public_components()} == PUBLIC


def test_the_schema_has_every_component_and_input_with_its_docs(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE
    resources = schema["resources"]
    assert set(resources) == {f"{PACKAGE}:index:{name}" for name in PUBLIC}
    for component in public_components():
        resource = resources[f"{PACKAGE}:index:{component.__name__}"]
        assert resource["isComponent"] is True
        assert resource["description"] == (component.__doc__ or "").strip()
        args = args_type(component)
        fields = [f for f in dataclasses.fields(args) if f.init]
        inputs = resource["inputProperties"]
        assert set(inputs) == {_camel(f.name) for f in fields}, component.__name__
        required = {
            _camel(f.name)
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert set(resource.get("requiredInputs", [])) == required, component.__name__
        docs = field_docs(args)
        assert docs, component.__name__
        for field in fields:
            assert inputs[_camel(field.name)].get("description") == docs.get(field.name), (
                component.__name__,
                field.name,
            )
        output_docs = {_camel(k): v for k, v in field_docs(component).items()}
        for name, output in resource.get("properties", {}).items():
            assert output.get("description") == output_docs.get(name), (component.__name__, name)


VIA = "-via-provider"
"""The suffix of the name a component is constructed under through the provider."""


def _capture(graph_of: Callable[[], Graph]) -> tuple[Graph, dict[str, list[str]]]:
    """Plan with every public component also built through the provider's Construct path
    (the args the real deployment passed, sent as another language's SDK sends them).
    Returns the graph and, per component, the names constructed both ways."""
    provider = ComponentProvider(views(), PACKAGE, None, "0.1.0")
    built: dict[str, list[str]] = {}
    originals = {c: c.__init__ for c in public_components()}
    busy: list[bool] = []

    def wrap(component: type, original: Callable[..., None]) -> Callable[..., None]:
        def init(self: Any, name: str, args: Any, *rest: Any, **kw: Any) -> None:
            original(self, name, args, *rest, **kw)
            if busy:
                return
            busy.append(True)
            try:
                provider.construct(
                    name + VIA, f"{PACKAGE}:index:{component.__name__}", to_wire(args), None
                )
            finally:
                busy.pop()
            built.setdefault(component.__name__, []).append(name)

        return init

    with ExitStack() as patches:
        for component, original in originals.items():
            patches.enter_context(patch.object(component, "__init__", wrap(component, original)))
        graph = graph_of()
    return graph, built


STACKS = ["dev", "hybrid", "prod-k8s", "prod-us-east-1", "prod-westeurope", "prod-europe-west4"]


@pytest.fixture(scope="module")
def captured() -> dict[str, tuple[Graph, dict[str, list[str]]]]:
    def planned(stack: str) -> Callable[[], Graph]:
        return lambda: run_program(ROOT, load_stack(ROOT, stack))

    return {s: _capture(planned(s)) for s in STACKS}


# The deployment adds children to these after construction (a network's NAT, private DNS
# zones): Construct builds a subset of the direct build.
GROWN_AFTER = {"AzureNetwork", "VpcNetwork"}


@pytest.mark.parametrize("stack", STACKS)
def test_construct_builds_what_the_component_builds(
    stack: str, captured: dict[str, tuple[Graph, dict[str, list[str]]]]
) -> None:
    """Every component the stack's deployment creates is also built through the provider's
    Construct path from the same args on the wire: a view ``inferplane:index:<Name>`` whose
    only child is the real component, which makes the same resources as the direct one."""
    graph, built = captured[stack]
    assert built
    # Resources (by identity: a child named without its parent's name, an EdgeFleet's
    # EdgeSite, has the same URN under the view as in the direct build) made via the views.
    through_views = {
        found
        for r in graph.resources
        if r.type.startswith(f"{PACKAGE}:index:") and r.name.endswith(VIA)
        for found in {id(r)} | _descendants(graph, r.urn)
    }
    for component, names in built.items():
        for name in names:
            named = [
                r
                for r in graph.resources
                if r.type == f"{PACKAGE}:index:{component}" and r.name == name + VIA
            ]
            (view,) = [r for r in named if r.parent not in {n.urn for n in named}]
            (real,) = graph.children(view.urn)
            assert real.name == name + VIA
            # Every router class is typed inferplane:index:RouterService (the policies'
            # token), so the real one is found by its own type, not the view's.
            (direct,) = [
                r
                for r in graph.resources
                if r.type == real.type and r.name == name and id(r) not in through_views
            ]
            via = {(t, n.replace(name + VIA, name)) for t, n in _subtree(graph, real.urn)}
            made = _subtree(graph, direct.urn)
            if component in GROWN_AFTER:
                assert via <= made, (component, name, via - made)
            else:
                assert via == made, (component, name, via ^ made)


def _descendants(graph: Graph, urn: str) -> set[int]:
    found: set[int] = set()
    for child in graph.children(urn):
        found |= {id(child)} | _descendants(graph, child.urn)
    return found


def _subtree(graph: Graph, urn: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for child in graph.children(urn):
        found.add((child.type, child.name))
        found |= _subtree(graph, child.urn)
    return found


# Not in any stack, so not constructed here (their schema is checked above).
NOT_IN_A_STACK = {"EdgeRouter", "SageMakerServerlessEndpoint"}


def test_every_component_is_constructed_by_some_stack(
    captured: dict[str, tuple[Graph, dict[str, list[str]]]],
) -> None:
    covered = {name for _, built in captured.values() for name in built}
    assert PUBLIC - covered == NOT_IN_A_STACK
