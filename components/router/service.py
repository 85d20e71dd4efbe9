"""What every router platform shares: the RouterConfig it runs with, its labels, and the
component the deployment and the policies see (``inferplane:index:RouterService``, with
``url``, ``config_json``, ``network`` and ``identity``), whatever platform hosts it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from inferplane.components.base import Labels
from inferplane.components.container import ContainerSpec, Resources
from inferplane.components.wiring import RouterIdentity, RouterNetwork
from inferplane.router.contract import CONFIG_ENV, ROUTER_PORT

__all__ = [
    "HEALTH_PATH",
    "ROUTER_TYPE",
    "RouterArgs",
    "RouterImageArgs",
    "RouterRuntimeArgs",
    "RouterService",
]

ROUTER_TYPE = "inferplane:index:RouterService"
"""The one type token of the router on every platform: the policies and the plan find the
router by it, whichever class hosts it."""
HEALTH_PATH = "/healthz"
"""Where the router answers 200 once it serves (its probes)."""


@dataclass(frozen=True, kw_only=True)
class RouterArgs:
    """What the router runs with on every platform."""

    config_json: pulumi.Input[str]
    """The rendered RouterConfig (``RouterConfig.to_json()``)."""
    labels: Labels
    """Tags/labels of every resource; ``data_class`` is the strictest class it handles."""


@dataclass(frozen=True, kw_only=True)
class RouterRuntimeArgs(RouterArgs):
    """What a router the stack deploys itself (not a site's own) runs with."""

    memory_mb: int = 512
    """Memory per instance."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment variables."""


@dataclass(frozen=True, kw_only=True)
class RouterImageArgs(RouterRuntimeArgs):
    """What a router running as a container (Cloud Run, Container Apps, Kubernetes) has."""

    image: str
    """The router's OCI image, pushed to a registry the platform can pull from."""
    replicas: int = 1
    """Maximum instances / replicas."""

    def check(self) -> None:
        """Raise ValueError naming the field, the value and what is allowed."""
        if self.replicas < 1:
            raise ValueError(f"replicas: {self.replicas} must be at least 1")

    def container(
        self, env: Mapping[str, pulumi.Input[str]], resources: Resources, args: tuple[str, ...] = ()
    ) -> ContainerSpec:
        """The router's container: its image on ``ROUTER_PORT``, probed on ``HEALTH_PATH``."""
        return ContainerSpec(
            image=self.image,
            port=ROUTER_PORT,
            args=args,
            env=env,
            health_path=HEALTH_PATH,
            resources=resources,
        )


class RouterService(pulumi.ComponentResource):
    """The stack's router, its config, identity and URL (one subclass per platform)."""

    url: pulumi.Output[str]
    """Base URL of the router (``/v1/chat/completions`` below it)."""
    config_json: pulumi.Output[str]
    """The RouterConfig it runs with."""
    network: pulumi.Output[RouterNetwork]
    """Where it sits: internet egress, networks, interface endpoints (docs/wiring.md)."""
    identity: pulumi.Output[list[RouterIdentity]]
    """Who it is in each cloud it calls (docs/wiring.md)."""
    platform: str
    """lambda, cloud_run, container_app, kubernetes or edge."""

    def __init__(
        self,
        platform: str,
        name: str,
        args: RouterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(ROUTER_TYPE, name, None, opts)
        self.platform = platform
        self.config_json = pulumi.Output.from_input(args.config_json)
        # Each platform replaces these with what it knows of its placement.
        self.network = pulumi.Output.from_input(
            RouterNetwork(internet=True, networks=[], interface_endpoints=[])
        )
        self.identity = pulumi.Output.from_input([])

    def child(self, **more: Any) -> pulumi.ResourceOptions:
        """Options of a resource the router owns."""
        return pulumi.ResourceOptions(parent=self, **more)

    def environment(self, args: RouterRuntimeArgs) -> dict[str, pulumi.Input[str]]:
        """The router process's environment: its config, then the extra variables."""
        return {CONFIG_ENV: self.config_json, **args.environment}

    def finish(self, url: pulumi.Input[str]) -> None:
        """Publish ``url`` and the outputs every platform has (call once, last)."""
        self.url = pulumi.Output.from_input(url)
        self.register_outputs(
            {
                "url": self.url,
                "config_json": self.config_json,
                "platform": self.platform,
                "network": self.network,
                "identity": self.identity,
            }
        )
