"""IP-RES-006: the router's routing table never sends a data class outside its placement."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from inferplane.policies.routerconfig import ENV_VAR, FoundConfig, find_router_configs
from inferplane.residency import PLACEMENT_RANK, Location, Zone, placement_refusal
from inferplane.router.config import RouterConfig


def zone_for(found: FoundConfig, ctx: Context) -> Zone | None:
    if ctx.spec is not None:
        return ctx.policy.zone(ctx.spec.residency.zone) or ctx.spec.residency.as_zone()
    return ctx.policy.zone(found.resource.residency_zone)


def placement_of(name: str, config: RouterConfig, ctx: Context) -> tuple[str, str | None]:
    """The class's placement (the org's when it defines the class) and, if the config
    declares a weaker one, why that is wrong."""
    declared = config.data_classes[name].placement
    org = ctx.policy.data_classes.get(name)
    if org is None:
        return declared, None
    if PLACEMENT_RANK[declared] < PLACEMENT_RANK[org.placement]:
        return org.placement, (
            f"data class {name!r} is declared with placement {declared!r}, "
            f"weaker than the org's {org.placement!r}"
        )
    return org.placement, None


def problems(config: RouterConfig, zone: Zone, ctx: Context) -> Iterator[str]:
    placements: dict[str, str] = {}
    for name in config.data_classes:
        placements[name], weaker = placement_of(name, config, ctx)
        if weaker:
            yield weaker
    locations: dict[str, Location] = {}
    for name, target in config.targets.items():
        try:
            locations[name] = Location.parse(target.location)
        except ValueError as exc:
            yield f"target {name!r}: {exc}"
            continue
        for data_class in target.allowed_data_classes:
            reason = placement_refusal(placements[data_class], locations[name], zone)
            if reason:
                yield f"target {name!r} accepts data class {data_class!r}: {reason}"
    yield from _route_problems(config, placements, locations, zone)


def _route_problems(
    config: RouterConfig, placements: dict[str, str], locations: dict[str, Location], zone: Zone
) -> Iterator[str]:
    for route in config.routes:
        data_class = route.match.data_class
        if data_class is None or data_class not in placements:
            continue
        for name in route.targets:
            if name not in locations:
                continue
            reason = placement_refusal(placements[data_class], locations[name], zone)
            if reason:
                yield f"route {route.name!r} sends data class {data_class!r} to {name!r}: {reason}"


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    found_any = False
    for found in find_router_configs(stack.resources):
        found_any = True
        urn = found.resource.urn
        if found.problem == "unknown":
            continue  # preview: the config renders from outputs not known yet
        if found.problem == "secret":
            yield Violation(
                f"{found.path} is a secret, so the routing table cannot be checked", urn
            )
            continue
        if found.config is None:
            yield Violation(f"{found.path}: {found.problem}", urn)
            continue
        zone = zone_for(found, ctx)
        if zone is None:
            yield Violation(f"{found.path}: the router's residency zone is unknown", urn)
            continue
        for problem in problems(found.config, zone, ctx):
            yield Violation(problem, urn)
    if not found_any and stack.resources and stack.spec is not None:
        yield Violation(
            f"no router config in the stack (env var {ENV_VAR} or ConfigMap key router.json)"
        )


RULE = StackRule(
    id="IP-RES-006",
    name="router-routes-respect-placement",
    description=(
        "The routing table shipped with the router lets no target accept, and no route "
        "send, a data class whose placement forbids that target's location."
    ),
    severity=Severity.CRITICAL,
    family="residency",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Render the router config with `inferplane.routerconfig.render_router_config` from "
        "the spec (never by hand) and fix the spec route or target that places the class "
        "outside its zone."
    ),
    check=check,
)
