"""The shell that installs an edge bundle on a site, and the one that removes it.

``EdgeSite`` runs them over SSH (``bash -s``, the script on stdin) after copying the bundle
to ``<install_dir>/incoming/<digest>``. Install: verify every file's sha256 on the site,
move the bundle to ``releases/<digest>``, point ``current`` at it, hand it to the runtime,
wait for the health URL, keep the last three releases. Nothing is touched before the
checksums pass. Bash 3.2 (macOS) compatible.

What goes to the runtime is the bundle's ``InstallPlan`` (``components.edge.layout``,
``manifest.json`` ``install``), rendered into the script as explicit lists: exactly the
listed files are installed, and a listed file that is missing stops the install. The
bundle's own ``install.sh`` (written by ``edge_images``) runs the same runtime part
(``runtime_part``) on an unpacked bundle.

- k3s: router and model-server image archives into ``agent/images`` and imported into
  containerd, manifests into the auto-deploy directory, ``registries.yaml``, and a TLS
  Secret for the router built on the site from the site's certificate files;
- systemd: the router image unpacked with umoci, its config, every model-server image
  loaded into podman (so the units never pull), the listed units enabled and restarted;
- launchd: the router app and config, the listed plists bootstrapped.
"""

from __future__ import annotations

from inferplane.components.edge.install.release import handover_script, install_script
from inferplane.components.edge.install.runtime import runtime_part
from inferplane.components.edge.install.site_files import tls_script, trust_script
from inferplane.components.edge.install.site_layout import ROOT_ENV, RUNTIMES, Runtime, SiteLayout
from inferplane.components.edge.install.uninstall import uninstall_script

__all__ = [
    "ROOT_ENV",
    "RUNTIMES",
    "Runtime",
    "SiteLayout",
    "handover_script",
    "install_script",
    "runtime_part",
    "tls_script",
    "trust_script",
    "uninstall_script",
]
