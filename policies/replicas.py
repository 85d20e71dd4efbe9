"""Routers that may run more than one instance, and the refusal of in-process state on
them in prod: the logic of IP-SAF-012 (platforms that add instances by themselves) and
IP-SAF-013 (a Kubernetes autoscaler above one replica), which differ only in how they
tell that a router may run more than once."""

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

__all__ = ["SCALES_BY_ITSELF", "Replicas", "scaled_out", "scales_by_itself", "shared_state_rule"]

SCALES_BY_ITSELF = frozenset({"lambda", "cloud_run", "container_app"})
"""Platforms that add router instances by themselves (Lambda one per concurrent request;
Cloud Run and Container Apps by load, and beside each other during a revision rollout)."""

Replicas = Callable[[RouterWiring, Stack], str | None]
"""Why a router may run more than one instance; None when it may not."""


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


def _per_replica_state(stack: Stack, ctx: Context, replicas: Replicas) -> Iterator[Violation]:
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


def shared_state_rule(
    id: str, name: str, description: str, remediation: str, replicas: Replicas
) -> StackRule:
    """The mandatory high-severity safety rule: a prod router that ``replicas`` says may
    run more than once keeps its state shared (``state.backend: redis``)."""

    def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
        return _per_replica_state(stack, ctx, replicas)

    return StackRule(
        id=id,
        name=name,
        description=description,
        severity=Severity.HIGH,
        family="safety",
        enforcement=Enforcement.MANDATORY,
        remediation=remediation,
        check=check,
    )
