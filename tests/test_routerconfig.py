"""RouterConfig rendering: residency decided once, the router's own location respected,
deterministic bytes."""

from __future__ import annotations

from pathlib import Path

from inferplane.components.base import EndpointInfo
from inferplane.router.config import RouterConfig
from inferplane.routerconfig import render_router_config, stack_router_config
from inferplane.spec import load_stack, provider_regions

ROOT = Path(__file__).resolve().parent.parent


def _endpoints(names: list[str]) -> dict[str, EndpointInfo]:
    return {n: EndpointInfo(backend="openai", model=n, url=f"http://{n}/v1") for n in names}


def _render(stack: str) -> RouterConfig:
    stack_file = load_stack(ROOT, stack)
    spec = stack_file.spec
    regions = provider_regions(stack_file.config)
    return stack_router_config(spec, stack, _endpoints(list(spec.targets)), regions)


def test_cloud_router_refuses_edge_only_data() -> None:
    config = _render("dev")  # router on Lambda in us-east-1, restricted is edge-only
    assert set(config.refused_data_classes) == {"restricted"}
    assert "restricted" not in config.targets["llama-lab"].allowed_data_classes
    assert config.targets["claude-haiku"].allowed_data_classes == ("public", "internal")


def test_targets_carry_their_locations() -> None:
    config = _render("prod-eu-central-1")
    assert config.targets["claude-haiku-eu"].location == "geo:aws:eu"
    assert config.targets["llama-plant"].location == "edge:munich-plant"


def test_rendering_is_deterministic_and_round_trips() -> None:
    first, second = _render("prod-us-east-1"), _render("prod-us-east-1")
    assert first.to_json() == second.to_json()
    assert RouterConfig.from_json(first.to_json()) == first


def test_router_config_fits_a_lambda_environment() -> None:
    for stack in ("dev", "prod-us-east-1", "prod-eu-central-1"):
        assert len(_render(stack).to_json()) < 4096 - 256


def test_state_is_shared_only_when_a_redis_is_named() -> None:
    assert _render("prod-us-east-1").state.backend == "memory"
    stack_file = load_stack(ROOT, "dev")
    data = stack_file.config["inferplane:spec"] | {
        "router": {
            "platform": "lambda",
            "replicas": 4,
            "redis": {"store": "aws_secretsmanager", "name": "inferplane/redis-url"},
        }
    }
    from inferplane.spec import parse_spec

    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    config = render_router_config(spec, "dev", _endpoints(list(spec.targets)))
    assert config.state.backend == "redis"
    assert config.state.url is not None
    assert config.state.url.name == "inferplane/redis-url"


def _semantic_spec(semantic: object) -> RouterConfig:
    from inferplane.spec import parse_spec

    data = load_stack(ROOT, "dev").config["inferplane:spec"]
    embed = {"kind": "bedrock", "region": "us-east-1", "model": "amazon.titan-embed-text-v2:0"}
    data = data | {"targets": data["targets"] | {"titan-embed": {**embed, "inference": "region"}}}
    data["router"] = data["router"] | {"cache": {"exact": True, "semantic": semantic}}
    spec = parse_spec(data, "test", {"aws": "us-east-1"})
    return render_router_config(spec, "dev", _endpoints(list(spec.targets)))


def test_the_semantic_cache_renders_its_embedder_routes_and_ttl() -> None:
    semantic = {"embedder": "target:titan-embed", "routes": ["default"], "ttl_s": 600}
    cache = _semantic_spec(semantic).cache.semantic
    assert (cache.enabled, cache.embedder, cache.target) == (
        True,
        "target:titan-embed",
        "titan-embed",
    )
    assert (cache.routes, cache.ttl_s, cache.threshold) == (("default",), 600, 0.92)


def test_semantic_true_is_the_hashing_embedder_on_every_route() -> None:
    cache = _semantic_spec(True).cache.semantic
    assert (cache.enabled, cache.embedder, cache.routes) == (True, "hashing", None)
    assert _semantic_spec(False).cache.semantic.enabled is False
