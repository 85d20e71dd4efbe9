"""Route selection: the first matching route, then its targets that may take the request.

A request may name a target as its ``model`` (pinning): it is used only when the matched
route lists it; routes are matched among the key's ``routes`` only, so a key never reaches
a target of a route it may not use.

Targets are tried in the route's order (``router.ordering``: as listed, or cheapest first
with ``order: cost``). A target is a candidate only if the request's data class is in its
``allowed_data_classes`` (residency, decided when the config was rendered) and, when the
request has a latency budget and the target an expected latency, the target can meet it.
Health is not decided here: the core skips targets whose breaker is open, in order, so a
non-resident target can never become a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

from .classify import TIERS, Classification
from .config import KeyConfig, RouteConfig, RouterConfig
from .errors import NoTargetError, NotFoundError, PermissionDeniedError
from .ordering import route_order

__all__ = ["Decision", "RouteTable"]


@dataclass(frozen=True, slots=True)
class Decision:
    route: RouteConfig
    targets: tuple[str, ...]
    """Candidates in preference order; every one may receive the request's data class."""
    max_tokens: int | None
    """The tightest cap of the route and the global limit (None: no cap)."""


class RouteTable:
    """The routing table of one RouterConfig."""

    def __init__(self, config: RouterConfig) -> None:
        self._config = config
        self._routes = config.routes
        aliases = {r.match.alias for r in config.routes if r.match.alias is not None}
        self._known = frozenset(aliases | set(config.targets) | set(TIERS))
        """Model names the router understands: route aliases, target names, tiers."""
        self._catch_all = frozenset(r.name for r in config.routes if _is_catch_all(r))
        """Routes with an empty match: any model name is theirs."""
        self.order = {r.name: route_order(r, config.targets) for r in config.routes}
        """Each route's targets in the order they are tried (``routes[].order``)."""
        cap = config.limits.max_tokens
        self._caps = {r.name: _tightest(r.max_tokens, cap) for r in config.routes}
        self._decided: dict[tuple[str, str], Decision] = {}
        """The decision of each (route, data class) without a budget or a pinned target:
        it depends on the config only, so it is made once (routes x data classes)."""

    def decide(self, classification: Classification, key: KeyConfig | None) -> Decision:
        refusal = self._config.refused_data_classes.get(classification.data_class)
        if refusal is not None:
            # This router itself may not see the class where it runs (e.g. restricted
            # data at a cloud router): refuse before any route or target is considered.
            raise PermissionDeniedError(refusal, code="data_class_not_allowed_here")
        # With a catch-all route anywhere, matching goes on: a key that may not use it
        # hears which routes it may use (route_not_allowed), not that the model is unknown.
        if classification.alias not in self._known and not self._catch_all:
            raise NotFoundError(
                f"model {classification.alias!r} is neither a route alias nor a target, and "
                f"no catch-all route (empty match) takes any model; known models: "
                f"{', '.join(self.known_models(key)) or '(none)'}",
                param="model",
                code="model_not_found",
            )
        route = self._match(classification, key)
        cap = self._caps[route.name]
        if classification.alias in self._config.targets:
            return Decision(route, self._pinned(route, classification), cap)
        if classification.latency_budget_ms is not None:
            return Decision(route, self._candidates(route, classification), cap)
        decided = self._decided.get((route.name, classification.data_class))
        if decided is None:
            decided = Decision(route, self._candidates(route, classification), cap)
            self._decided[route.name, classification.data_class] = decided
        return decided

    def known_models(self, key: KeyConfig | None) -> list[str]:
        """Aliases, then targets, of the routes ``key`` may use (all routes without keys)."""
        routes = [r for r in self._routes if key is None or not key.routes or r.name in key.routes]
        names = [r.match.alias for r in routes if r.match.alias]
        return names + sorted({t for r in routes for t in r.targets} - set(names))

    def _match(self, c: Classification, key: KeyConfig | None) -> RouteConfig:
        allowed = key.routes if key is not None and key.routes else None
        key_id = key.id if key is not None else ""
        for route in self._routes:
            if allowed is not None and route.name not in allowed:
                continue
            match = route.match
            if match.data_class is not None and match.data_class != c.data_class:
                continue
            if match.alias is not None and match.alias != c.alias:
                continue
            if match.tier is not None and match.tier != c.tier:
                continue
            if match.latency_ms_max is not None and (
                c.latency_budget_ms is None or c.latency_budget_ms > match.latency_ms_max
            ):
                continue
            return route
        if allowed is not None:
            raise PermissionDeniedError(
                f"API key {key_id!r} may use routes {', '.join(allowed)}; "
                "none of them matches this request",
                code="route_not_allowed",
            )
        raise NoTargetError(
            f"no route matches data class {c.data_class!r}, tier {c.tier!r}, model {c.alias!r}"
        )

    def _pinned(self, route: RouteConfig, c: Classification) -> tuple[str, ...]:
        """A request naming a target as its model goes only there, if the matched route
        uses it (the route was matched among the key's routes, so the key may use it too)
        and residency allows. Pinning never widens what the route and the key allow."""
        if c.alias not in route.targets:
            raise PermissionDeniedError(
                f"model {c.alias!r} names a target that route {route.name!r} (the route "
                f"this request matched) does not use; targets you may name here: "
                f"{', '.join(route.targets)}",
                param="model",
                code="target_not_allowed",
            )
        if c.data_class not in self._config.targets[c.alias].allowed_data_classes:
            raise NoTargetError(
                f"target {c.alias!r} may not receive data class {c.data_class!r} (residency)",
                code="no_resident_target",
            )
        return (c.alias,)

    def _candidates(self, route: RouteConfig, c: Classification) -> tuple[str, ...]:
        targets = self._config.targets
        order = self.order[route.name]
        resident = [t for t in order if c.data_class in targets[t].allowed_data_classes]
        if not resident:
            raise NoTargetError(
                f"route {route.name!r}: no target may receive data class {c.data_class!r} "
                f"(residency); targets: {', '.join(route.targets)}",
                code="no_resident_target",
            )
        budget = c.latency_budget_ms
        if budget is None:
            return tuple(resident)
        fast = [t for t in resident if (targets[t].latency_ms_p50 or 0) <= budget]
        if not fast:
            raise NoTargetError(
                f"route {route.name!r}: no target allowed for data class {c.data_class!r} "
                f"meets the latency budget of {budget} ms",
                code="latency_budget_unmet",
            )
        return tuple(fast)


def _tightest(*caps: int | None) -> int | None:
    known = [c for c in caps if c is not None]
    return min(known) if known else None


def _is_catch_all(route: RouteConfig) -> bool:
    m = route.match
    return m.alias is None and m.data_class is None and m.tier is None and m.latency_ms_max is None
