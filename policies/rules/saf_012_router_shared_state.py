"""IP-SAF-012: a prod router on a platform that adds instances by itself keeps its state
shared (the stack provisions the managed Redis unless the spec opted out)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from inferplane.policies.model import (
    Context,
    Enforcement,
    Severity,
    Stack,
    StackRule,
    Violation,
)
from inferplane.policies.rules.saf_005_max_scale_cap import MAX_PATHS
from inferplane.policies.values import as_number, get, is_known
from inferplane.policies.wiring import RouterWiring, routers

SCALES_BY_ITSELF = frozenset({"lambda", "cloud_run", "container_app"})
"""Platforms that add router instances by themselves (Lambda one per concurrent request;
Cloud Run and Container Apps by load, and beside each other during a revision rollout)."""

Replicas = Callable[[RouterWiring, Stack], str | None]


def scales_by_itself(router: RouterWiring, _stack: Stack) -> str | None:
    if router.platform in SCALES_BY_ITSELF:
        return f"platform {router.platform!r} adds instances by itself"
    return None


def scaled_out(router: RouterWiring, stack: Stack) -> str | None:
    """Why a router on another platform (Kubernetes) may run more than one replica: a
    scaling resource under it with a maximum above 1; None when none may."""
    if router.platform in SCALES_BY_ITSELF:
        return None
    for resource in stack.descendants(router.component.urn):
        if resource.type not in MAX_PATHS:
            continue
        paths, _ = MAX_PATHS[resource.type]
        values = [get(resource.properties, p) for p in paths]
        if any(v is not None and not is_known(v) for v in values):
            return None  # a preview: unknowns never fail a rule
        numbers = [n for v in values if (n := as_number(v)) is not None]
        if numbers and max(numbers) > 1:
            return f"{resource.name!r} scales it to up to {max(numbers):g} replicas"
    return None


def per_replica_state(stack: Stack, ctx: Context, replicas: Replicas) -> Iterator[Violation]:
    """A violation per prod router with in-process state that ``replicas`` says may run
    more than once."""
    for router in routers(stack):
        config = router.config
        if config is None or config.state.backend != "memory":
            continue  # unknown config (preview) or shared state
        if (ctx.environment_of(router.component) or config.environment) != "prod":
            continue
        why = replicas(router, stack)
        if why is not None:
            yield Violation(
                f"router {router.name!r} keeps keys, budgets, rate limits and caches per "
                f"replica (state.backend 'memory') and {why}: each replica would enforce its "
                "own limits and budgets and miss the keys created on another",
                router.component.urn,
            )


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    return per_replica_state(stack, ctx, scales_by_itself)


RULE = StackRule(
    id="IP-SAF-012",
    name="router-shared-state",
    description=(
        "In prod, a router on Lambda, Cloud Run or Container Apps (platforms that add "
        "instances by themselves) has shared state: `state.backend: redis` in its "
        "rendered RouterConfig."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Leave `router.state` at `auto` (the stack provisions ElastiCache Serverless, "
        "Memorystore or Azure Cache for Redis in the router's network), or name a Redis "
        "with `router.redis`."
    ),
    check=check,
)
