"""Every invalid spec is refused with an error that names the key path of the problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inferplane.errors import SpecError
from inferplane.spec import parse_spec
from tests.conftest import stack_spec_data

Spec = dict[str, Any]
REGIONS = {"aws": "eu-central-1"}


def _set(path: str, value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


CASES: list[tuple[str, Callable[[Spec], None], str, str]] = [
    (
        "semantic cache embedder names no target",
        _set("router.cache.semantic", {"embedder": "target:nowhere"}),
        "router.cache.semantic.embedder",
        "unknown target",
    ),
    (
        "semantic cache embedder is a chat model",
        _set("router.cache.semantic", {"embedder": "target:claude-haiku-eu"}),
        "router.cache.semantic.embedder",
        "not an embedding model",
    ),
    (
        "semantic cache opts in an unknown route",
        _set("router.cache.semantic", {"routes": ["nowhere"]}),
        "router.cache.semantic.routes[0]",
        "unknown route",
    ),
    (
        "semantic cache embedder is neither hashing nor a target",
        _set("router.cache.semantic", {"embedder": "openai"}),
        "router.cache.semantic.embedder",
        "pattern",
    ),
    # (case id, mutation, expected key path, a word the message must contain)
    ("unknown environment", _set("environment", "qa"), "environment", "prod"),
    ("missing owner", _delete("owner"), "owner", "required"),
    ("bad cost centre", _set("cost_center", "CC 47"), "cost_center", "pattern"),
    ("unknown top-level key", _set("colour", "blue"), "colour", "unknown key"),
    (
        "fake aws region",
        _set("targets.claude-haiku-eu.region", "eu-nowhere-1"),
        "targets.claude-haiku-eu.region",
        "not a known aws region",
    ),
    (
        "unknown target kind",
        _set("targets.claude-haiku-eu.kind", "openai_direct"),
        "targets.claude-haiku-eu.kind",
        "allowed",
    ),
    (
        "misspelled target field",
        _set("targets.claude-haiku-eu.modle", "x"),
        "targets.claude-haiku-eu.modle",
        "unknown key",
    ),
    (
        "bad bedrock inference",
        _set("targets.claude-haiku-eu.inference", "planet"),
        "targets.claude-haiku-eu.inference",
        "geo",
    ),
    (
        "serverless memory off-step",
        _set("targets.mistral-serverless.memory_mb", 10240),
        "targets.mistral-serverless.memory_mb",
        "6144",
    ),
    (
        "engine lacks option",
        _set("targets.llama-plant.serving.engine", "triton"),
        "targets.llama-plant.serving",
        "triton",
    ),
    (
        "unknown quantization",
        _set("targets.llama-plant.serving.quantization", "q3"),
        "targets.llama-plant.serving.quantization",
        "q4_k_m",
    ),
    (
        "edge site not in zone",
        _set("targets.llama-plant.site", "paris-depot"),
        "targets.llama-plant.site",
        "edge_sites",
    ),
    (
        "unknown edge profile",
        _set("targets.llama-plant.profile", "raspberry"),
        "targets.llama-plant.profile",
        "jetson-orin",
    ),
    (
        "route names unknown target",
        _set("routes.3.targets", ["ghost"]),
        "routes[3].targets[0]",
        "unknown target",
    ),
    (
        "restricted class to cloud",
        _set("routes.0.targets", ["llama-plant", "claude-haiku-eu"]),
        "routes[0].targets[1]",
        "may not go",
    ),
    (
        "route matches unknown class",
        _set("routes.0.match", {"data_class": "secret"}),
        "routes[0].match.data_class",
        "unknown data class",
    ),
    (
        "unknown placement",
        _set("data_classes.public.placement", "moon"),
        "data_classes.public.placement",
        "zone",
    ),
    (
        "unknown residency cloud",
        _set("residency.regions", {"ibm": ["us-south"]}),
        "residency.regions",
        "aws, gcp, azure",
    ),
    (
        "scaling min above max",
        _set("targets.claude-haiku-eu.scaling", {"min": 5, "max": 2}),
        "targets.claude-haiku-eu.scaling",
        "min (5) must be <= max (2)",
    ),
    (
        "commitment term on demand",
        _set("targets.claude-haiku-eu.capacity", {"term": "1_month"}),
        "targets.claude-haiku-eu.capacity",
        "on_demand",
    ),
    ("unknown router platform", _set("router.platform", "heroku"), "router.platform", "lambda"),
    (
        "kubernetes router without target",
        _set("router", {"platform": "kubernetes"}),
        "router",
        "needs target",
    ),
    ("empty routes", _set("routes", []), "routes", "at least 1"),
    (
        "peak below steady",
        _set("forecast", {"steady_rps": 10, "peak_rps": 1}),
        "forecast",
        "below steady_rps",
    ),
    (
        "bad target name",
        _set("targets.X_Bad", {"kind": "bedrock", "region": "eu-central-1", "model": "m"}),
        "targets.X_Bad",
        "name",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_spec_names_the_key_path(
    mutate: Callable[[Spec], None], path: str, word: str
) -> None:
    spec = stack_spec_data("prod-eu-central-1")
    mutate(spec)
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", REGIONS)
    issues = [i for i in caught.value.issues if i.path == path]
    assert issues, f"no issue at {path}; got {[str(i) for i in caught.value.issues]}"
    assert any(word in str(i) for i in issues), [str(i) for i in issues]


def test_every_problem_is_reported_at_once() -> None:
    spec = stack_spec_data("prod-eu-central-1")
    spec["environment"] = "qa"
    spec["targets"]["claude-haiku-eu"]["region"] = "mars-1"
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "test", REGIONS)
    assert {"environment", "targets.claude-haiku-eu.region"} <= set(caught.value.paths)


def test_error_shows_bad_value_and_source() -> None:
    spec = stack_spec_data("prod-eu-central-1")
    spec["targets"]["claude-haiku-eu"]["region"] = "mars-1"
    with pytest.raises(SpecError) as caught:
        parse_spec(spec, "stacks/Pulumi.x.yaml", REGIONS)
    text = str(caught.value)
    assert "stacks/Pulumi.x.yaml" in text
    assert "'mars-1'" in text


def test_missing_spec_block() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(None, "test")
    assert caught.value.paths == ("inferplane:spec",)
