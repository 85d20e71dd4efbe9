"""IP-RES-008: requests without a data class are served, not silently refused or narrowed.

A request without a data-class header takes its API key's first class or the stack's
``default_data_class`` (the strictest class when unset). Both findings below are safe
(nothing leaves the zone) but silent until production: a router placed where that class
may not go refuses every such request (403), and a route target where it may not go
(an Azure OpenAI GlobalStandard deployment for a confidential default) is skipped for
them. Judged with the one residency decision, ``inferplane.residency.placement_refusal``,
on the router resource's own location and each target's routed location."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.residency import Location, Zone, placement_refusal
from policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from policies.routerconfig import FoundConfig, find_router_configs
from policies.rules.res_006_router_routes import placement_of, zone_for
from policies.speckeys import target_component
from router.config import RouterConfig

# Which spec key decides where a target processes data, by router backend.
PLACEMENT_KEY = {"azure_openai": "sku", "bedrock": "inference"}


def unlabelled_classes(config: RouterConfig) -> dict[str, tuple[str, str]]:
    """Data class of unlabelled requests -> (the spec key that sets it, whose default)."""
    found: dict[str, tuple[str, str]] = {}
    if not config.keys or any(not key.data_classes for key in config.keys):
        found[config.default_data_class] = ("default_data_class", "the stack's default")
    for k, key in enumerate(config.keys):
        if key.data_classes:
            found.setdefault(
                key.data_classes[0],
                (f"router.keys[{k}].data_classes[0]", f"the default of API key {key.id!r}"),
            )
    return found


def reached(config: RouterConfig, data_class: str) -> Iterator[tuple[str, str]]:
    """(route, target) pairs a request of ``data_class`` can reach, in route order, up to
    the first route that takes every request of that class."""
    for route in config.routes:
        match = route.match
        if match.data_class not in (None, data_class):
            continue
        for target in route.targets:
            yield route.name, target
        if match.latency_ms_max is None and match.tier is None and match.alias is None:
            return


def _router_refusals(
    found: FoundConfig, config: RouterConfig, zone: Zone, ctx: Context
) -> Iterator[Violation]:
    for data_class, (key, who) in unlabelled_classes(config).items():
        placement, _ = placement_of(data_class, config, ctx)
        reason = config.refused_data_classes.get(data_class)
        if found.resource.location is not None:
            reason = placement_refusal(placement, found.resource.location, zone) or reason
        if reason is None:
            continue
        allowed = [c for c in config.data_classes if c not in config.refused_data_classes]
        yield Violation(
            f"requests without a data class take {data_class!r} ({who}), which may not pass "
            f"through the router: {reason}; every such request is refused (403)",
            found.resource.urn,
            spec_key=key,
            fix=f"set `{key}` to a class the router may handle ({', '.join(allowed) or 'none'})"
            f", or run the router (`router.region`) where {data_class!r} may go",
        )


def _skipped_targets(
    stack: Stack, config: RouterConfig, zone: Zone, ctx: Context
) -> Iterator[Violation]:
    for data_class, (_key, who) in unlabelled_classes(config).items():
        if data_class in config.refused_data_classes:
            continue  # refused at the router already (reported above)
        placement, _ = placement_of(data_class, config, ctx)
        warned: set[str] = set()
        for route, name in reached(config, data_class):
            target = config.targets.get(name)
            if target is None or name in warned:
                continue
            try:
                location = Location.parse(target.location)
            except ValueError:
                continue  # IP-RES-006 reports an unreadable location
            reason = placement_refusal(placement, location, zone)
            if reason is None and data_class in target.allowed_data_classes:
                continue
            warned.add(name)
            component = target_component(stack, name)
            key = PLACEMENT_KEY.get(target.backend, "region")
            served = ", ".join(target.allowed_data_classes) or "nothing"
            yield Violation(
                f"route {route!r} lists target {name!r}, but requests without a data class "
                f"take {data_class!r} ({who}), which may not go to it"
                + (f": {reason}" if reason else "")
                + f"; it is skipped for them and serves only: {served}",
                component.urn if component is not None else None,
                spec_field=key,
                spec_key=None if component is not None else f"targets.{name}.{key}",
                fix=(
                    "use a Standard or DataZone SKU (keeps processing in the region / data zone)"
                    if target.backend == "azure_openai"
                    else f"move the target (`{key}`) where {data_class!r} may go"
                )
                + f", or route {data_class!r} requests elsewhere and label the others",
            )


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    for found in find_router_configs(stack.resources):
        if found.config is None:
            continue  # unknown, secret or invalid: IP-RES-006 reports it
        zone = zone_for(found, ctx)
        if zone is None:
            continue
        yield from _router_refusals(found, found.config, zone, ctx)
        yield from _skipped_targets(stack, found.config, zone, ctx)


RULE = StackRule(
    id="IP-RES-008",
    name="unlabelled-requests-served",
    description=(
        "Requests without a data class (the stack's default_data_class or an API key's "
        "first class) may pass through the router, and no route target is silently "
        "skipped for them because that class may not go there."
    ),
    severity=Severity.LOW,
    family="residency",
    enforcement=Enforcement.ADVISORY,
    remediation=(
        "Set `default_data_class` (or the key's first data class) to a class the router "
        "and the targets may handle, or move the router / targets where that class may go."
    ),
    check=check,
    spec_field="default_data_class",
)
