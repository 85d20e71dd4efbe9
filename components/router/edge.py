"""The router at an edge site: it ships inside the edge bundle that EdgeSite deploys; this
component records its config (for the policies) and where it answers. It sits on the
site's LAN only (docs/wiring.md): a site may have no uplink at all."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from inferplane.components.router.service import RouterArgs, RouterService
from inferplane.components.wiring import RouterNetwork

__all__ = ["EdgeRouter", "EdgeRouterArgs"]


@dataclass(frozen=True, kw_only=True)
class EdgeRouterArgs(RouterArgs):
    """The site router an edge bundle installs."""

    url: pulumi.Input[str]
    """The site router's base URL."""
    site: pulumi.Input[str]
    """The site the router runs at: it sits on that site's LAN."""


class EdgeRouter(RouterService):
    """The stack's router at an edge site."""

    def __init__(
        self, name: str, args: EdgeRouterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("edge", name, args, opts)
        self.network = pulumi.Output.from_input(args.site).apply(
            lambda site: RouterNetwork(
                internet=False, networks=[f"edge:{site}"], interface_endpoints=[]
            )
        )
        self.finish(args.url)
