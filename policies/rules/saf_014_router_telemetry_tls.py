"""IP-SAF-014: a prod router exports its telemetry over TLS, unless to its own host.

The spans and metrics carry every request's id, route, data class, models, token counts
and the client's ``tracestate``; in plaintext anyone on the path reads them and can
forge or drop what the collector receives. A collector on loopback (a sidecar, the ADOT
Lambda extension on ``localhost:4317``) is never on a network, so ``http://`` to it is
allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

from inferplane.policies.model import (
    Context,
    Enforcement,
    Severity,
    Stack,
    StackRule,
    Violation,
)
from inferplane.policies.wiring import routers


def is_loopback(host: str) -> bool:
    """``localhost`` (and its subdomains, RFC 6761) or a loopback address."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a DNS name: it may resolve anywhere


def plaintext_off_host(endpoint: str) -> bool:
    """True for an ``http://`` endpoint whose host is not loopback."""
    if not endpoint.startswith("http://"):
        return False
    try:
        host = urlsplit(endpoint).hostname
    except ValueError:  # a malformed authority ("[::1"): not provably on this host
        return True
    return not (host and is_loopback(host))


def check(stack: Stack, ctx: Context) -> Iterator[Violation]:
    for router in routers(stack):
        config = router.config
        if config is None:
            continue  # unknown config (a preview) never fails a rule
        endpoint = config.telemetry.otlp_endpoint
        if endpoint is None or not plaintext_off_host(endpoint):
            continue
        if (ctx.environment_of(router.component) or config.environment) != "prod":
            continue
        yield Violation(
            f"router {router.name!r} exports its traces and metrics in plaintext to "
            f"{endpoint!r} (telemetry.otlp_endpoint): request ids, routes, data classes, "
            "models and token counts would cross the network readable and forgeable; "
            "allowed: https://, or http:// to a collector on loopback",
            router.component.urn,
        )


RULE = StackRule(
    id="IP-SAF-014",
    name="router-telemetry-tls",
    description=(
        "In prod, a router's OTLP endpoint (`router.otlp_endpoint`, rendered as "
        "`telemetry.otlp_endpoint`) is `https://`, or `http://` only to a loopback host "
        "(a sidecar or Lambda extension collector)."
    ),
    severity=Severity.HIGH,
    family="safety",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Give the collector a TLS listener and set `router.otlp_endpoint: "
        "https://HOST:4317`, or run a collector next to the router (a sidecar, the ADOT "
        "Lambda layer) and export to `http://localhost:4317`."
    ),
    check=check,
)
