"""The stack's routing service, one class per platform that hosts it:

    LambdaRouter        LambdaFunction (function URL, AWS_IAM auth) with the router's zip
    CloudRunRouter      CloudRunService with the router's OCI image
    ContainerAppRouter  ContainerAppService with the router's OCI image
    KubernetesRouter    KubernetesWorkload beside a ModelServer, through its provider
    EdgeRouter          the site's own router, shipped inside the edge bundle (EdgeSite)

Each takes its own Args (``<Platform>RouterArgs``), which extend what every router has
(``RouterArgs``: the RouterConfig JSON and labels; a container platform's also its image
and replicas), and each is a ``RouterService``: the component the deployment and the
policies see, typed ``inferplane:index:RouterService`` with ``url``, ``config_json``,
``network`` and ``identity``.

The RouterConfig JSON travels as ``INFERPLANE_ROUTER_CONFIG`` (environment) or as the
``router.json`` file of a ConfigMap, so it is visible in the resource graph and the
policies can check the routing table. Its identity may call exactly the stack's targets:
on AWS the IAM statements come from the targets' wiring ``grants`` (exact ARNs, conditions
kept), never ``*``.

Where state must live in the router's network (a managed Redis shared by replicas), each
platform's ``__init__`` knows that network first (``self.network`` and the Args' VPC,
VNet, stack network or namespace) and passes the router's environment through
``RouterService.environment``: the place to add a platform's secret reference.

The platform modules import their cloud SDKs; import the one you use
(``inferplane.components.router.aws_lambda`` ...). This package itself stays light.
"""

from __future__ import annotations

from inferplane.components.router.service import (
    HEALTH_PATH,
    ROUTER_TYPE,
    RouterArgs,
    RouterImageArgs,
    RouterRuntimeArgs,
    RouterService,
)
from inferplane.router.contract import CONFIG_ENV, ROUTER_PORT

__all__ = [
    "CONFIG_ENV",
    "HEALTH_PATH",
    "ROUTER_PORT",
    "ROUTER_TYPE",
    "RouterArgs",
    "RouterImageArgs",
    "RouterRuntimeArgs",
    "RouterService",
]
