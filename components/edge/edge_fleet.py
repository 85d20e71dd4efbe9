"""EdgeFleet: many EdgeSites rolled out in waves.

Every site of wave k+1 waits (``EdgeSiteArgs.after``, on its first command) for the health
gates of every site of wave k. Pulumi's dependency graph does the rest: when a gate fails
(the site's installer rolled back, or ``/readyz`` does not answer), nothing that depends on
it is created, so later waves are not touched. Each site is still its own EdgeSite (its own
endpoint, named like the stack's target), so the router, wiring and policies see each site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi

from components.edge.edge_site import EdgeSite, EdgeSiteArgs

__all__ = ["EdgeFleet", "EdgeFleetArgs", "FleetSite"]


@dataclass(frozen=True)
class FleetSite:
    """One site of the fleet, in rollout order."""

    name: str
    """The EdgeSite's resource name (the stack's target name, ``<fleet>-<site>``)."""
    wave: int
    """1-based rollout wave."""
    args: EdgeSiteArgs


@dataclass(frozen=True)
class EdgeFleetArgs:
    sites: tuple[FleetSite, ...]
    """Every site, wave 1 first; waves are numbered 1, 2, ... without gaps."""


class EdgeFleet(pulumi.ComponentResource):
    """A fleet of edge sites sharing a profile, deployed wave by wave."""

    sites: dict[str, EdgeSite]
    """Each site's EdgeSite, by name."""
    waves: list[list[str]]
    """Site names per wave (wave 1 first)."""
    status: pulumi.Output[dict[str, Any]]
    """Per site: site, wave, release and health (the gate's report)."""

    def __init__(
        self, name: str, args: EdgeFleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        self.waves = _check(args.sites)
        super().__init__("inferplane:edge:EdgeFleet", name, None, opts)
        by_name = {site.name: site for site in args.sites}
        self.sites = {}
        gates: list[pulumi.Resource] = []
        for wave in self.waves:
            built = [self._site(by_name[n], gates) for n in wave]
            gates = [site.gate for site in built if site.gate is not None]
        self.status = pulumi.Output.all(**{n: site.status for n, site in self.sites.items()}).apply(
            dict
        )
        self.register_outputs({"status": self.status, "waves": self.waves})

    def _site(self, site: FleetSite, gates: Sequence[pulumi.Resource]) -> EdgeSite:
        site_args = replace(site.args, wave=site.wave, after=tuple(gates))
        built = EdgeSite(site.name, site_args, pulumi.ResourceOptions(parent=self))
        self.sites[site.name] = built
        return built


def _check(sites: Sequence[FleetSite]) -> list[list[str]]:
    """Site names per wave; refuses an empty fleet, repeats and out-of-order waves."""
    if not sites:
        raise ValueError("a fleet needs at least one site")
    waves: list[list[str]] = []
    seen_names: set[str] = set()
    seen_sites: set[str] = set()
    for site in sites:
        if site.name in seen_names or site.args.site in seen_sites:
            raise ValueError(f"site {site.name!r} ({site.args.site}) is listed twice")
        seen_names.add(site.name)
        seen_sites.add(site.args.site)
        if site.wave == len(waves) + 1:
            waves.append([])
        elif site.wave != len(waves):
            raise ValueError(
                f"site {site.name!r} is in wave {site.wave} after wave {len(waves)}; "
                "allowed: sites ordered by wave, waves numbered 1, 2, ... without gaps"
            )
        waves[-1].append(site.name)
    return waves
