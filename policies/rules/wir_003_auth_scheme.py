"""IP-WIR-003: the router authenticates to each target with the scheme it publishes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from inferplane.policies.values import UNKNOWN, is_known
from inferplane.policies.wiring import MISSING, Pair, pairs

PRIVATE_PATHS = frozenset({"vpc", "private_endpoint", "psc"})
COMPARED = ("scheme", "service", "scope", "audience", "federation")


def pair_violations(pair: Pair) -> Iterator[str]:
    published = pair.endpoint("auth")
    if published == MISSING:
        yield pair.missing("auth")
        return
    if published == UNKNOWN or not isinstance(published, Mapping):
        return
    rendered = pair.target.auth.model_dump()
    for key in COMPARED:
        want = published.get(key, "none" if key == "scheme" else None)
        if want is None or not is_known(want):
            continue
        if key == "federation" and want == "native" and rendered[key] == "native":
            continue
        if rendered.get(key) != want:
            yield (
                f"RouterConfig targets.{pair.name}.auth.{key} is {rendered.get(key)!r}, but "
                f"the target publishes {want!r}"
            )
    if pair.target.auth.scheme == "none":
        reach = pair.reach()
        if reach is not None and reach["path"] not in PRIVATE_PATHS:
            yield (
                f"target {pair.name!r} is called without auth (scheme none) over a "
                f"{reach['path']!r} reach; `none` is allowed only inside a VPC/VNet or "
                "through a private endpoint"
            )


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for pair in pairs(stack):
        for message in pair_violations(pair):
            yield Violation(message, pair.urn)


RULE = StackRule(
    id="IP-WIR-003",
    name="router-auth-matches-target",
    description=(
        "RouterConfig's `targets.<name>.auth` is the scheme (and service, scope, "
        "audience) the target publishes; scheme `none` only for a target reached inside "
        "a VPC/VNet or through a private endpoint that publishes `none`."
    ),
    severity=Severity.CRITICAL,
    family="wiring",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Render RouterConfig from the targets' endpoint outputs "
        "(`inferplane.routerconfig.render_router_config`), never by hand; give a target "
        "reached over the internet an auth scheme (api_key, sigv4, entra, google token)."
    ),
    check=check,
)
