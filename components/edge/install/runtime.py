"""The runtime part: the shell that hands the release in ``$release`` to the site's
runtime (``k3s``, ``systemd`` or ``launchd``). The bundle's own install.sh runs the same."""

from __future__ import annotations

from collections.abc import Callable

from inferplane.components.edge.install.k3s import k3s_part
from inferplane.components.edge.install.launchd import launchd_part
from inferplane.components.edge.install.site_layout import RUNTIMES, Runtime, site
from inferplane.components.edge.install.systemd import systemd_part
from inferplane.components.edge.layout import SITE_TLS_CERT, SITE_TLS_KEY, InstallPlan, SitePaths

__all__ = ["runtime_part"]

_PARTS: dict[str, Callable[[InstallPlan, SitePaths, str], str]] = {
    "k3s": k3s_part,
    "systemd": systemd_part,
    "launchd": launchd_part,
}


def runtime_part(runtime: Runtime, plan: InstallPlan, paths: SitePaths | None = None) -> str:
    """The shell that hands the release in ``$release`` to ``runtime``, every site path
    under ``$root``. Errors name what the plan lacks."""
    part = _PARTS.get(runtime)
    if part is None:
        raise ValueError(f"runtime {runtime!r} is unknown; allowed: {', '.join(RUNTIMES)}")
    tls = f"{site(SITE_TLS_CERT)} {site(SITE_TLS_KEY)}"
    return part(plan, paths or SitePaths(), tls)
