"""A site as the edge builder sees it: the stack's edge targets at one site, and the
router config that site's router runs (only local targets, so nothing leaves the site)."""

from __future__ import annotations

from dataclasses import dataclass

from components.base import EndpointInfo
from inferplane.errors import BuildError
from inferplane.routerconfig import render_router_config
from inferplane.spec import StackSpec
from inferplane.spec.routes import Route
from inferplane.spec.targets.selfhosted import EdgeTarget
from router.config import KeyConfig, RouterConfig

__all__ = ["Site", "site_names", "site_router_config"]


@dataclass(frozen=True)
class Site:
    """The edge targets of ``stack`` at ``name``, all of one device profile."""

    stack: str
    name: str
    spec: StackSpec
    targets: dict[str, EdgeTarget]
    keys: tuple[KeyConfig, ...] = ()
    """Hashes of the keys the stack's router presents to this site (its secrets)."""

    @classmethod
    def from_spec(cls, spec: StackSpec, stack: str, site: str) -> Site:
        found = {
            name: target
            for name, target in sorted(spec.targets.items())
            if isinstance(target, EdgeTarget) and target.site == site
        }
        if not found:
            edge = [t for t in spec.targets.values() if isinstance(t, EdgeTarget)]
            sites = sorted({t.site_name for t in edge})
            raise BuildError(
                f"stack {stack!r} has no edge target at site {site!r}; its edge sites: "
                f"{', '.join(sites) or 'none'}"
            )
        profiles = {t.profile for t in found.values()}
        if len(profiles) > 1:
            raise BuildError(
                f"site {site!r} mixes device profiles {sorted(profiles)}; one site is one "
                "device class"
            )
        return cls(stack, site, spec, found)

    @property
    def profile(self) -> str:
        return next(iter(self.targets.values())).profile


def site_router_config(site: Site, model_urls: dict[str, str]) -> RouterConfig:
    """The RouterConfig of the site's router: the stack's routes cut down to the site's
    targets (routes left empty are dropped; if none remain, one route sends everything
    to the site's targets). ``model_urls`` maps each target to its OpenAI base URL.

    The site's router always requires a key: ``site.keys`` (the stack's router's, from the
    site's secrets) or one of the stack's own client keys, by their salted hashes."""
    spec = site.spec
    routes = []
    for index, route in enumerate(spec.routes):
        local = tuple(t for t in route.targets if t in site.targets)
        if local:
            routes.append(
                route.model_copy(update={"name": spec.route_name(index), "targets": local})
            )
    if not routes:
        routes.append(Route(name="site", targets=tuple(site.targets)))
    local_spec = spec.model_copy(update={"targets": dict(site.targets), "routes": tuple(routes)})
    endpoints = {
        name: EndpointInfo(backend="openai", model=target.model, url=model_urls[name])
        for name, target in site.targets.items()
    }
    config = render_router_config(local_spec, site.stack, endpoints)
    return config.model_copy(update={"keys": (*site.keys, *config.keys), "auth_required": True})


def site_names(site: Site) -> list[str]:
    """The names the site's router certificate covers: the site (site DNS or VPN), its
    host name, its addresses, and loopback (the install's health check)."""
    addresses = sorted({t.address for t in site.targets.values() if t.address})
    names = [site.name, f"{site.name}-edge", *addresses, "localhost", "127.0.0.1"]
    return list(dict.fromkeys(names))
