"""The launchd runtime part (macOS): the router's virtualenv from the bundle's wheels, its
app and config, the listed plists bootstrapped."""

from __future__ import annotations

from inferplane.components.edge.install.plan_files import NEED, need, weights_into
from inferplane.components.edge.install.site_layout import q, site
from inferplane.components.edge.layout import MACOS_DIR, InstallPlan, SitePaths

__all__ = ["launchd_part"]

_LAUNCHD = """\
need {need}
mac_root={mac_root}
install -d -m 0755 "$mac_root" "$mac_root/models" "$mac_root/log" {agent_dir}
# The router's virtualenv, offline from the bundle's macOS wheels.
rm -rf "$mac_root/venv" "$mac_root/app"
/opt/homebrew/bin/{python} -m venv "$mac_root/venv"
"$mac_root/venv/bin/pip" install --no-index --find-links "$release"/{wheels} \
  --requirement "$release"/{requirements}
cp -R "$release"/{app} "$mac_root/app"
install -m 0644 "$release"/{config} "$mac_root/router.json"
{plists}"""


def _plists(plan: InstallPlan, paths: SitePaths) -> str:
    agent = site(paths.launch_daemons)
    return "".join(
        f'install -m 0644 "$release"/{q(p)} {agent}/\n'
        f"launchctl bootout system/{q(label)} 2>/dev/null || true\n"
        f"launchctl bootstrap system {agent}/{q(label + '.plist')}\n"
        for p in plan.launchd_plists
        for label in [p.rsplit("/", 1)[-1].removesuffix(".plist")]
    )


def _router_and_plists(plan: InstallPlan, paths: SitePaths, tls: str, python: str) -> str:
    config = f"{MACOS_DIR}/router.json"
    return _LAUNCHD.format(
        need=" ".join([need([*plan.launchd_plists, config, f"{MACOS_DIR}/requirements.txt"]), tls]),
        mac_root=site(paths.mac_root),
        agent_dir=site(paths.launch_daemons),
        app=q(f"{MACOS_DIR}/app"),
        python=q(python),
        wheels=q(f"{MACOS_DIR}/wheels"),
        requirements=q(f"{MACOS_DIR}/requirements.txt"),
        config=q(config),
        plists=_plists(plan, paths),
    )


def launchd_part(plan: InstallPlan, paths: SitePaths, tls: str) -> str:
    """Hand the release to launchd; ``tls`` names the site's certificate files for ``need``."""
    python = plan.mac_python
    if not plan.launchd_plists or python is None:
        raise ValueError(
            "the bundle has no launchd install (install.launchd needs plists and python)"
        )
    # llama-server's /models paths map to <mac_root>/models under launchd.
    weights = weights_into(plan, f"{paths.mac_root}/models")
    return NEED + weights + _router_and_plists(plan, paths, tls, python)
