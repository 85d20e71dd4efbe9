"""The secrets the stack's router reads at start-up with its own identity, and the
platforms whose identity can read each cloud's secret store.

A ``gcp_secretmanager`` secret is read with the Cloud Run router's service account (a
metadata-server token), an ``azure_keyvault`` one with the Container Apps router's
managed identity: the deployment grants that identity read access to each such secret
(``inferplane.deployment.router_secrets``), and a router on another platform has no
identity there, so the spec refuses the pair instead of a router that cannot start.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from inferplane.errors import Issue
from inferplane.spec.router import SecretLocation
from inferplane.spec.targets import EdgeTarget

if TYPE_CHECKING:
    from inferplane.spec.stack import StackSpec

__all__ = ["READ_ON", "router_secret_issues", "router_secrets"]

READ_ON: dict[str, str] = {"gcp_secretmanager": "cloud_run", "azure_keyvault": "container_app"}
"""The router platform whose own identity reads each cloud secret store."""


def router_secrets(spec: StackSpec) -> list[tuple[str, SecretLocation]]:
    """Every secret the router reads, with its key path in the spec."""
    router = spec.router
    found = [
        (f"router.{field}", location)
        for field, location in (("admin_key", router.admin_key), ("redis", router.redis))
        if location is not None
    ]
    for name, target in sorted(spec.targets.items()):
        if isinstance(target, EdgeTarget):
            site = (("key_secret", target.key_secret), ("ca_secret", target.ca_secret))
            found += [(f"targets.{name}.{f}", loc) for f, loc in site if loc is not None]
    return found


def router_secret_issues(spec: StackSpec) -> Iterator[Issue]:
    """A cloud secret store the router's platform has no identity in."""
    platform = spec.router.platform
    for path, location in router_secrets(spec):
        reader = READ_ON.get(location.store)
        if reader is not None and reader != platform:
            allowed = ["env", "aws_secretsmanager", "k8s"]
            allowed += [store for store, on in READ_ON.items() if on == platform]
            yield Issue(
                f"{path}.store",
                f"a {location.store} secret is read with the identity of a router on "
                f"{reader}, and router.platform is {platform!r}; allowed here: "
                f"{', '.join(allowed)} (or move the router)",
                location.store,
            )
