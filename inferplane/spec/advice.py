"""Advisories: specs that are valid and safe but do something the user probably did not
mean, found at plan time instead of in production. They are Issues like errors (key path,
message, value) but never refuse a spec; ``plan`` and ``check`` print them as warnings.

Both current advisories follow requests that carry no data-class header. Such a request
takes its key's first data class, or the stack's ``default_data_class`` (the strictest
class when unset), and the router enforces residency on that class like on any other."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from inferplane.errors import Issue
from inferplane.residency import placement_refusal
from inferplane.spec.checks import classes_allowed_at, router_location
from inferplane.spec.targets import AzureOpenAITarget, BedrockTarget, CloudTarget, TargetBase

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["advise"]


def advise(spec: StackSpec, provider_regions: Mapping[str, str]) -> list[Issue]:
    """Every advisory for a valid ``spec``."""
    defaults = _default_classes(spec)
    return [*_router_refuses(spec, provider_regions, defaults), *_targets_skipped(spec, defaults)]


def _default_classes(spec: StackSpec) -> dict[str, tuple[str, str]]:
    """Data class of unlabelled requests -> (the key path that sets it, whose default)."""
    keys = spec.router.keys
    found: dict[str, tuple[str, str]] = {}
    if not keys or any(not key.data_classes for key in keys):
        found[spec.request_default_data_class] = ("default_data_class", "the stack's default")
    for k, key in enumerate(keys):
        if key.data_classes:
            found.setdefault(
                key.data_classes[0],
                (f"router.keys[{k}].data_classes[0]", f"the default of API key {key.id!r}"),
            )
    return found


def _router_refuses(
    spec: StackSpec, provider_regions: Mapping[str, str], defaults: Mapping[str, tuple[str, str]]
) -> Iterator[Issue]:
    location = router_location(spec, provider_regions)
    zone = spec.residency.as_zone()
    allowed = classes_allowed_at(spec, location)
    for data_class, (path, who) in defaults.items():
        placement = spec.data_classes[data_class].placement
        refusal = placement_refusal(placement, location, zone)
        if refusal:
            yield Issue(
                path,
                f"data class {data_class!r} ({who} for requests without a data class) may "
                f"not pass through the router at {location}: {refusal}. Every such request "
                f"will be refused (403). Use a class the router may handle "
                f"({', '.join(allowed) or 'none'}) or run the "
                f"router where {data_class!r} may go",
                data_class,
            )


def _targets_skipped(spec: StackSpec, defaults: Mapping[str, tuple[str, str]]) -> Iterator[Issue]:
    zone = spec.residency.as_zone()
    for data_class, (_, who) in defaults.items():
        placement = spec.data_classes[data_class].placement
        warned: set[str] = set()
        for route_name, target_name in _routes_reached(spec, data_class):
            target = spec.target(target_name)
            refusal = placement_refusal(placement, target.location, zone)
            if refusal is None or target_name in warned:
                continue
            warned.add(target_name)
            key = _placement_key(target)
            served = ", ".join(spec.data_classes_routed_to(target_name))
            value = getattr(target, key, None)
            yield Issue(
                f"targets.{target_name}.{key}",
                f"route {route_name!r} lists this target, but data class {data_class!r} "
                f"({who} for requests without a data class) may not go to it: {refusal}. "
                f"It is skipped for those requests and serves only: {served}{_fix(target)}",
                value if isinstance(value, str) else None,
            )


def _routes_reached(spec: StackSpec, data_class: str) -> Iterator[tuple[str, str]]:
    """(route, target) pairs a request of ``data_class`` can reach, in route order, up to
    the first route that matches every request of that class."""
    for i, route in enumerate(spec.routes):
        match = route.match
        if match.data_class not in (None, data_class):
            continue
        for target in route.targets:
            yield spec.route_name(i), target
        if match.latency_ms_max is None and match.tier is None and match.alias is None:
            return


def _placement_key(target: TargetBase) -> str:
    """The key that decides where ``target`` processes data."""
    if isinstance(target, AzureOpenAITarget):
        return "sku"
    if isinstance(target, BedrockTarget):
        return "inference"
    if isinstance(target, CloudTarget):
        return "region"
    return "site" if hasattr(target, "site") else "cluster"


def _fix(target: TargetBase) -> str:
    if isinstance(target, AzureOpenAITarget) and target.sku.startswith("Global"):
        return (
            f". sku {target.sku} processes data in any Azure region; a Standard or DataZone "
            "SKU keeps it in the region or data zone"
        )
    if isinstance(target, BedrockTarget) and target.inference != "region":
        return (
            f". inference {target.inference} may process data outside the zone; "
            "`inference: region` (or `geo` in the zone's geography) keeps it in"
        )
    return ""
