"""The stack's outputs, named once: ``__main__.py`` exports them and ``inferplane verify``
reads them back (``pulumi stack output --json``), both through this module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # verify reads the names without loading Pulumi or the components
    from inferplane.deployment import Deployment
    from inferplane.spec import StackSpec

__all__ = [
    "EDGE_SITES",
    "ENVIRONMENT",
    "ROUTER_FUNCTION",
    "ROUTER_URL",
    "TARGETS",
    "stack_outputs",
]

ENVIRONMENT = "environment"
TARGETS = "targets"
"""Per target: its ``endpoint`` (backend, model, url, endpoint_name, region, auth...)."""
EDGE_SITES = "edge_sites"
"""Per edge site target: site, wave, release (bundle digest) and health (the health gate's
report: the installer's status lines); only when the stack has edge sites."""
ROUTER_URL = "router_url"
ROUTER_FUNCTION = "router_function"
"""The router's Lambda function name; only when the router runs on Lambda."""


def stack_outputs(spec: StackSpec, deployment: Deployment) -> dict[str, Any]:
    """What the program exports, by output name (values may be ``pulumi.Output``)."""
    outputs: dict[str, Any] = {
        ENVIRONMENT: spec.environment,
        TARGETS: {name: t.endpoint for name, t in deployment.targets.items()},
        ROUTER_URL: deployment.router.url,
    }
    # Imported here: verify reads the names above without loading Pulumi.
    from inferplane.components.edge.edge_site import EdgeSite
    from inferplane.components.router.aws_lambda import LambdaRouter

    sites = {n: t.status for n, t in deployment.targets.items() if isinstance(t, EdgeSite)}
    if sites:
        outputs[EDGE_SITES] = sites
    if isinstance(deployment.router, LambdaRouter):
        outputs[ROUTER_FUNCTION] = deployment.router.function_name
    return outputs
