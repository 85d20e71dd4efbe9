"""IP-WIR-005: an edge router, or an edge target, serving a class above ``public``
requires auth and TLS."""

from __future__ import annotations

from collections.abc import Iterator

from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from inferplane.policies.values import as_str
from inferplane.policies.wiring import Pair, RouterWiring, pairs, routers
from inferplane.router.config import RouterConfig


def above_public(config: RouterConfig, classes: object) -> list[str]:
    """The classes in ``classes`` ranked above ``public`` (the lowest rank when the
    config defines no ``public`` class)."""
    ranks = {name: c.rank for name, c in config.data_classes.items()}
    floor = ranks.get("public", min(ranks.values(), default=0))
    names = classes if isinstance(classes, list | tuple) else list(ranks)
    return sorted(n for n in names if ranks.get(n, floor + 1) > floor)


def router_problems(router: RouterWiring) -> Iterator[str]:
    config = router.config
    if config is None or router.platform != "edge":
        return
    served = above_public(config, None)
    if not served:
        return
    if not config.auth_required:
        yield (f"edge router {router.name!r} serves {', '.join(served)} with auth_required false")
    url = as_str(router.component.properties.get("url"))
    if url is not None and not url.startswith("https://"):
        yield f"edge router {router.name!r} serves {', '.join(served)} over {url!r} (no TLS)"


def target_problems(pair: Pair) -> Iterator[str]:
    reach = pair.reach()
    on_edge = pair.component is not None and pair.component.type.startswith("inferplane:edge:")
    if not on_edge and (reach is None or reach["path"] != "edge"):
        return
    served = above_public(pair.router.config, pair.target.allowed_data_classes)  # type: ignore[arg-type]
    if not served:
        return
    auth = pair.target.auth
    if auth.scheme == "none":
        yield f"edge target {pair.name!r} serves {', '.join(served)} without auth"
    if not (pair.target.url or "").startswith("https://"):
        yield (
            f"edge target {pair.name!r} serves {', '.join(served)} over "
            f"{pair.target.url!r} (no TLS)"
        )
    elif auth.ca is None:
        yield f"edge target {pair.name!r} is called over TLS without the site's CA (`auth.ca`)"


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for router in routers(stack):
        for message in router_problems(router):
            yield Violation(message, router.component.urn)
    for pair in pairs(stack):
        for message in target_problems(pair):
            yield Violation(message, pair.urn)


RULE = StackRule(
    id="IP-WIR-005",
    name="edge-requires-auth-and-tls",
    description=(
        "An edge router, or a router's call to an edge target, that serves a data class "
        "ranked above `public` requires auth (auth_required / an api_key) and TLS (an "
        "https URL and the site's CA)."
    ),
    severity=Severity.CRITICAL,
    family="wiring",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Issue the site a key and a certificate in the edge bundle: `auth_required: true` "
        "with keys on the site router, and `auth: {scheme: api_key, secret: ..., ca: ...}` "
        "with an https URL on the edge target."
    ),
    check=check,
)
