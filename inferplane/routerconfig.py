"""Render the router's RouterConfig from the stack spec plus the targets' outputs.

Residency is decided here, once, with ``inferplane.residency``: each target lists the data
classes whose placement allows its location. Output is deterministic (sorted keys)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from inferplane.catalog.context_windows import managed_context_window
from inferplane.coldstart import cold_start
from inferplane.components.base import EndpointInfo
from inferplane.components.router.service import ROUTER_TYPE
from inferplane.cost.prices import default_prices
from inferplane.cost.tokens import token_prices
from inferplane.errors import PlanError
from inferplane.plan.graph import Graph
from inferplane.residency import PLACEMENT_RANK
from inferplane.router.config import (
    AdminConfig,
    CacheConfig,
    DataClassConfig,
    ExactCacheConfig,
    KeyConfig,
    LimitsConfig,
    ReplicaConfig,
    RouteConfig,
    RouteMatch,
    RouterConfig,
    SecretRef,
    SemanticCacheConfig,
    StateConfig,
    TargetAuth,
    TargetConfig,
    Timeouts,
)
from inferplane.router.contract import METRICS_PORT
from inferplane.router.telemetry import TelemetryConfig
from inferplane.spec import StackSpec
from inferplane.spec.checks import classes_allowed_at, router_location
from inferplane.spec.semantic_cache import SemanticCacheSpec
from inferplane.spec.serving import Serving
from inferplane.spec.wake import wakes

__all__ = [
    "URL_FETCH",
    "deployed_config_json",
    "endpoints_from_graph",
    "render_router_config",
    "router_data_classes",
    "stack_router_config",
]


def router_data_classes(spec: StackSpec, provider_regions: Mapping[str, str]) -> tuple[str, ...]:
    """The data classes the stack's router may handle where it runs."""
    return classes_allowed_at(spec, router_location(spec, provider_regions))


def stack_router_config(
    spec: StackSpec,
    stack: str,
    endpoints: Mapping[str, EndpointInfo],
    provider_regions: Mapping[str, str],
) -> RouterConfig:
    """The RouterConfig the stack's router runs with, where it runs."""
    return render_router_config(spec, stack, endpoints, router_data_classes(spec, provider_regions))


def render_router_config(
    spec: StackSpec,
    stack: str,
    endpoints: Mapping[str, EndpointInfo],
    router_classes: Sequence[str] | None = None,
) -> RouterConfig:
    """The RouterConfig of ``stack``; ``endpoints`` maps each target to its outputs.

    ``router_classes`` are the data classes the router itself may handle where it runs
    (``checks.classes_allowed_at(spec, router_location(...))``); a target receives a class
    only when both the target and the router may process it. The others are refused at
    the router with the reason in ``refused_data_classes``."""
    router = spec.router
    handled = tuple(spec.data_classes) if router_classes is None else tuple(router_classes)
    return RouterConfig(
        stack=stack,
        environment=spec.environment,
        default_data_class=spec.request_default_data_class,
        data_classes={
            name: DataClassConfig(placement=dc.placement, rank=PLACEMENT_RANK[dc.placement])
            for name, dc in sorted(spec.data_classes.items())
        },
        targets={
            name: _target(spec, name, endpoints[name], handled) for name in sorted(spec.targets)
        },
        refused_data_classes={
            name: f"data class {name!r} (placement {dc.placement}) may not pass through this "
            "router's location; send it to a router at an allowed location (e.g. the edge "
            "site's own router)"
            for name, dc in sorted(spec.data_classes.items())
            if name not in handled
        },
        routes=tuple(
            RouteConfig(
                name=spec.route_name(i),
                match=RouteMatch(**route.match.model_dump()),
                targets=route.targets,
                max_tokens=route.max_tokens,
                order=route.order,
            )
            for i, route in enumerate(spec.routes)
        ),
        keys=tuple(
            KeyConfig(
                id=k.id,
                salt=k.salt,
                sha256=k.sha256,
                data_classes=k.data_classes,
                routes=k.routes,
                rate_limit_rpm=k.rate_limit_rpm,
                team=k.team,
                budget_usd=k.budget_usd,
            )
            for k in router.keys
        ),
        # Keys created through the admin API need auth on even before the first exists.
        auth_required=bool(router.keys) or router.admin_key is not None,
        cache=CacheConfig(
            exact=ExactCacheConfig(enabled=router.cache.exact, ttl_s=router.cache.ttl_s),
            semantic=_semantic_cache(router.cache.semantic),
        ),
        limits=LimitsConfig(max_body_bytes=router.max_body_bytes, max_tokens=router.max_tokens),
        state=StateConfig(backend="redis", url=SecretRef(**router.redis.router_ref()))
        if router.redis is not None
        else StateConfig(),
        pii_data_class=(router.pii_data_class or spec.strictest_data_class)
        if router.pii_detection
        else None,
        # A server scaled to zero is woken by the router's demand, which the cluster's
        # Prometheus reads on the operator port (inferplane.spec.wake).
        admin=_admin(spec),
        telemetry=TelemetryConfig(otlp_endpoint=router.otlp_endpoint),
    )


def _admin(spec: StackSpec) -> AdminConfig:
    """The operator listener when a scaled-to-zero server needs the router's demand, and
    the admin API when the spec names its credential."""
    key = spec.router.admin_key
    api_key = SecretRef(**key.router_ref()) if key is not None else None
    if wakes(spec):
        return AdminConfig(port=METRICS_PORT, host="0.0.0.0", api_key=api_key)
    return AdminConfig(api_key=api_key)


def _semantic_cache(semantic: SemanticCacheSpec | None) -> SemanticCacheConfig:
    if semantic is None:
        return SemanticCacheConfig()
    return SemanticCacheConfig(
        enabled=True,
        embedder=semantic.embedder,
        threshold=semantic.threshold,
        ttl_s=semantic.ttl_s,
        routes=semantic.routes,
    )


def _target(
    spec: StackSpec, name: str, endpoint: EndpointInfo, handled: Sequence[str]
) -> TargetConfig:
    target = spec.target(name)
    # The router's cost metric multiplies tokens by these; unknown stays None (not zero).
    price = token_prices(target, default_prices())
    cold = cold_start(target)
    replicas = endpoint.get("replicas")
    return TargetConfig(
        backend=endpoint["backend"],
        model=endpoint.get("model", target.model),
        url=endpoint.get("url"),
        endpoint_name=endpoint.get("endpoint_name"),
        region=endpoint.get("region"),
        location=str(target.location),
        allowed_data_classes=tuple(c for c in spec.data_classes_routed_to(name) if c in handled),
        auth=TargetAuth.model_validate(endpoint.get("auth", {})),
        latency_ms_p50=target.latency_ms_p50,
        input_cost_per_1k=price[0].usd if price else None,
        output_cost_per_1k=price[1].usd if price else None,
        context_window=_context_window(target),
        url_fetch=URL_FETCH.get(getattr(target, "kind", ""), "private"),
        cold=cold,
        timeouts=TargetConfig.cold_timeouts(cold) if cold is not None else Timeouts(),
        replicas=ReplicaConfig(**replicas, policy=getattr(target, "replica_routing", "prefix"))
        if replicas is not None
        else None,
    )


URL_FETCH: Mapping[str, Literal["private", "public"]] = {
    # A provider's API fetches a request's media URLs from the internet, if at all.
    "azure_openai": "public",
    "bedrock": "public",  # Converse takes no URL (router/content refuses it)
    "lambda": "public",  # our Converse handler: Bedrock bytes only, URLs refused in it
    # A server the stack runs (vLLM, TGI...) fetches them from inside the network.
    "gpu_fleet": "private",
    "kubernetes": "private",
    "edge": "private",
    "cloud_run": "private",
    "container_app": "private",
    "azure_ml": "private",
    "sagemaker": "private",
    "sagemaker_serverless": "private",
    "vertex": "private",  # a Model Garden container on a dedicated endpoint
}
"""Where each target kind fetches media URLs on the caller's behalf (``TargetConfig.
url_fetch``); a kind not listed is ``private`` (refused: the closed default)."""


def _context_window(target: object) -> int | None:
    """What the router checks a request's size against: the engine's context length for
    a model the stack serves itself, else a managed model's published window, else None
    (unknown: never skipped for size)."""
    serving = getattr(target, "serving", None)
    if isinstance(serving, Serving):
        return serving.context_length
    model = getattr(target, "model", None)
    return managed_context_window(model) if isinstance(model, str) else None


def endpoints_from_graph(graph: Graph, spec: StackSpec) -> dict[str, EndpointInfo]:
    """Each target's ``endpoint`` output, as its component registered it in an offline plan."""
    found: dict[str, EndpointInfo] = {}
    for resource in graph.resources:
        endpoint = resource.outputs.get("endpoint")
        if resource.name in spec.targets and isinstance(endpoint, dict):
            found[resource.name] = EndpointInfo(**endpoint)  # type: ignore[typeddict-item]
    missing = sorted(set(spec.targets) - set(found))
    if missing:
        raise PlanError(f"the plan registered no endpoint for targets: {', '.join(missing)}")
    return found


def deployed_config_json(graph: Graph) -> str:
    """The RouterConfig the stack's router component was given in a plan of the real
    program: ``render_router_config`` plus what the deployment adds while it provisions
    (the managed Redis's ``state`` as the secret reference the router will read, a Cloud
    Run router's federated target auth). Values only the cloud knows (ARNs, URLs) are the
    plan's offline placeholders."""
    routers = graph.by_type(ROUTER_TYPE)
    if len(routers) != 1:
        raise PlanError(f"the plan registered {len(routers)} routers ({ROUTER_TYPE}); expected 1")
    config = routers[0].outputs.get("config_json")
    if not isinstance(config, str):
        raise PlanError("the plan's router has no known config_json (RouterService output)")
    return config
