"""The script that stops what a bundle runs and removes its releases."""

from __future__ import annotations

from inferplane.components.edge.install.site_layout import Runtime, SiteLayout, q, site
from inferplane.components.edge.layout import TLS_SECRET, InstallPlan, SitePaths

__all__ = ["uninstall_script"]

_REMOVE = {
    "k3s": """\
# Removing a file alone leaves its objects running: delete them first.
for manifest in {manifests}; do
  manifest={k3s_manifests}/"$manifest"
  [ -f "$manifest" ] || continue
  k3s kubectl delete --ignore-not-found -f "$manifest"
  rm -f "$manifest"
done
""",
    "systemd": """\
{units}systemctl daemon-reload
""",
    "launchd": "{plists}",
}


def _units(plan: InstallPlan, paths: SitePaths) -> str:
    return "".join(
        f"systemctl disable --now {q(u)} || true\nrm -f {site(paths.unit_dir)}/{q(u)}\n"
        for u in (unit.rsplit("/", 1)[-1] for unit in plan.systemd_units)
    )


def _plists(plan: InstallPlan, paths: SitePaths) -> str:
    return "".join(
        f"launchctl bootout system/{q(p)} 2>/dev/null || true\n"
        f"rm -f {site(paths.launch_daemons)}/{q(p + '.plist')}\n"
        for p in (plist.rsplit("/", 1)[-1].removesuffix(".plist") for plist in plan.launchd_plists)
    )


def _body(runtime: Runtime, plan: InstallPlan, paths: SitePaths) -> str:
    manifests = [m.rsplit("/", 1)[-1] for m in plan.k3s_manifests] + [f"{TLS_SECRET}.yaml"]
    return _REMOVE[runtime].format(
        manifests=" ".join(q(m) for m in manifests),
        k3s_manifests=site(paths.k3s_manifests),
        unit_dir=site(paths.unit_dir),
        agent_dir=site(paths.launch_daemons),
        units=_units(plan, paths),
        plists=_plists(plan, paths),
    )


def uninstall_script(runtime: Runtime, plan: InstallPlan, layout: SiteLayout | None = None) -> str:
    """The script that stops what the bundle runs and removes its releases."""
    layout = layout or SiteLayout()
    if runtime not in _REMOVE:
        raise ValueError(f"runtime {runtime!r} is unknown; allowed: {', '.join(_REMOVE)}")
    return (
        f"#!/bin/bash\nset -euo pipefail\nroot={q(layout.root)}\n"
        f'base="$root"{q(layout.install_dir)}\n{_body(runtime, plan, layout.paths)}'
        'rm -rf "$base/current" "$base/previous" "$base/releases" "$base/incoming"\n'
        'rm -f "$base/runtime" "$base/releases.log"\n'
    )
