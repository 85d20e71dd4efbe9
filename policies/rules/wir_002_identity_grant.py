"""IP-WIR-002: the router's identity holds every grant its targets' auth needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inferplane.components.wiring import Grant
from inferplane.policies.grants import holds
from inferplane.policies.model import Context, Enforcement, Severity, Stack, StackRule, Violation
from inferplane.policies.values import UNKNOWN
from inferplane.policies.wiring import MISSING, Pair, has_unknown, pairs


def describe(grant: Grant) -> str:
    condition = f" with condition {grant['condition']}" if grant.get("condition") else ""
    return (
        f"{grant['cloud']} {', '.join(grant['actions'])} on "
        f"{', '.join(grant['resources'])}{condition}"
    )


def pair_violations(pair: Pair, stack: Stack) -> Iterator[str]:
    grants = pair.endpoint("grants")
    if grants == MISSING:
        yield pair.missing("grants")
        return
    if grants == UNKNOWN or has_unknown(grants) or not isinstance(grants, list):
        return
    for grant in grants:
        if not isinstance(grant, Mapping) or grant.get("cloud") not in ("aws", "azure", "gcp"):
            yield f"target {pair.name!r} publishes a malformed grant: {grant!r}"
            continue
        principals = pair.router.principals(str(grant["cloud"]))
        if principals is None:
            continue  # the router's identity is unknown during preview
        if not principals:
            yield (
                f"router {pair.router.name!r} has no {grant['cloud']} identity, but target "
                f"{pair.name!r} needs {describe(grant)}"  # type: ignore[arg-type]
            )
            continue
        if holds(stack, principals, grant) is False:  # type: ignore[arg-type]
            yield (
                f"router {pair.router.name!r} ({', '.join(principals)}) is not granted "
                f"{describe(grant)} that target {pair.name!r} needs"  # type: ignore[arg-type]
            )


def check(stack: Stack, _ctx: Context) -> Iterator[Violation]:
    for pair in pairs(stack):
        if pair.router.identity == MISSING:
            yield Violation(
                f"router {pair.router.name!r} publishes no `identity` output; its grant for "
                f"target {pair.name!r} cannot be checked",
                pair.urn,
            )
            continue
        for message in pair_violations(pair, stack):
            yield Violation(message, pair.urn)


RULE = StackRule(
    id="IP-WIR-002",
    name="router-granted-what-it-calls",
    description=(
        "For every (router, target) pair the router's identity holds each grant the "
        "target publishes, in the real grant resources of the graph (IAM role policies "
        "and attached policies with the exact actions, ARNs and conditions; Azure role "
        "assignments of that role and scope; GCP IAM members of that role and resource)."
    ),
    severity=Severity.CRITICAL,
    family="wiring",
    enforcement=Enforcement.MANDATORY,
    remediation=(
        "Let the router component create the grants from the targets' `grants` (AWS: an "
        "IAM statement per target on its exact ARNs; Azure: `allow_caller` role "
        "assignment on the target's scope; GCP: an IAM member on the target)."
    ),
    check=check,
)
