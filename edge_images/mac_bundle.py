"""The Apple silicon part of a bundle (launchd install): ``macos/`` holds the router source,
macOS wheels, launchd plists (``macos/launchd``), router.json and install-macos.sh."""

from __future__ import annotations

from pathlib import Path

from inferplane.components.edge.layout import LAUNCHD_DIR, MACOS_DIR, InstallPlan
from inferplane.edge_images import launchd, scripts
from inferplane.edge_images.bundle_files import write
from inferplane.edge_images.inputs import BundleInputs, Progress
from inferplane.edge_images.profiles import Profile, load_profile
from inferplane.edge_images.servers import SiteServer, model_urls_host
from inferplane.edge_images.site import Site, site_router_config
from inferplane.packaging.source import router_files
from inferplane.packaging.wheels import LOCK_FILE, Target, download_wheels, lock_text

__all__ = ["MAC_PYTHON", "mac_bundle"]

MAC_PYTHON = "3.12"
"""Homebrew's python@3.12: the interpreter the macOS router venv is built with."""


def _router(inputs: BundleInputs, mac: Path) -> None:
    """The router's source, its macOS wheels and their lock."""
    for name, path in router_files(inputs.source_root, require="__main__.py"):
        write(mac / "app" / name, path.read_bytes())
    for wheel in download_wheels(Target("arm64", MAC_PYTHON, os="macos"), inputs.cache):
        write(mac / "wheels" / wheel.name, wheel.read_bytes())
    write(mac / "requirements.txt", lock_text(LOCK_FILE))


def _plists(profile: Profile, servers: list[SiteServer]) -> dict[str, bytes]:
    plists = {"io.inferplane.router.plist": launchd.router_plist()}
    for server in servers:
        native = profile.engines[server.engine]
        mac_server = launchd.MacServer(
            server.name, server.engine, native, server.command, server.host_port
        )
        plists[f"{launchd.server_label(server.name)}.plist"] = launchd.model_server_plist(
            mac_server
        )
    return plists


def mac_bundle(
    inputs: BundleInputs, site: Site, servers: list[SiteServer], out: Path, say: Progress
) -> InstallPlan:
    """Write the macOS part into ``out``; the plan launchd installs."""
    profile = load_profile(site.profile)
    mac = out / MACOS_DIR
    say(f"router source and macOS wheels (cp{MAC_PYTHON.replace('.', '')}, arm64)")
    _router(inputs, mac)
    say("launchd plists")
    plists = _plists(profile, servers)
    for name, data in plists.items():
        write(out / LAUNCHD_DIR / name, data)
    write(mac / "router.json", site_router_config(site, model_urls_host(servers)).to_json() + "\n")
    formulas = sorted({str(profile.engines[s.engine].formula) for s in servers})
    write(mac / "install-macos.sh", scripts.install_macos_sh(MAC_PYTHON, formulas, sorted(plists)))
    (mac / "install-macos.sh").chmod(0o755)
    return InstallPlan(
        launchd_plists=tuple(f"{LAUNCHD_DIR}/{name}" for name in sorted(plists)),
        mac_python=f"python{MAC_PYTHON}",
    )
