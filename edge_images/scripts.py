"""The shell scripts a bundle carries: install.sh (Linux: k3s or systemd), fetch-images.sh
(run where registries are reachable, to bring the pinned model-server images), and
install-macos.sh (Apple silicon). Rendered from fixed text, so they are deterministic."""

from __future__ import annotations

from components.edge.install import ROOT_ENV, runtime_part
from components.edge.layout import K3S_IMAGES, InstallPlan, ModelImage
from components.edge.verify import program
from components.shell import quote
from edge_images.launchd import MAC_ROOT

__all__ = ["fetch_images_sh", "install_macos_sh", "install_sh"]


def _q(value: str) -> str:
    return quote(value, "edge bundle value")


def install_sh(plan: InstallPlan) -> str:
    """``install.sh verify|k3s|systemd``: the same runtime part the EdgeSite install runs
    (``components.edge.install.runtime_part``), on this unpacked bundle."""
    k3s = _function("install_k3s", runtime_part("k3s", plan))
    systemd = _function("install_systemd", runtime_part("systemd", plan))
    return f"""\
#!/bin/bash
# Install this inferplane edge bundle on the device (as root).
#   ./install.sh verify    check every file against manifest.json and every fetched
#                          model-server image against its pinned digest (needs python3)
#   ./install.sh k3s       put the airgap images, manifests and registries.yaml where k3s
#                          reads them; then install/start k3s (INSTALL_K3S_SKIP_DOWNLOAD=true)
#   ./install.sh systemd   no Kubernetes: unpack the router image (umoci), load the model
#                          images into podman, enable the units
# The site's TLS certificate and key must be in /etc/inferplane/tls first (EdgeSite copies
# them; by hand: from the site's secrets directory written by `inferplane edge build`).
# ${ROOT_ENV} prefixes every path (an install into a directory, for tests).
set -euo pipefail
release=$(cd "$(dirname "$0")" && pwd)
root=${{{ROOT_ENV}:-}}

verify() {{
    python3 - "$release" <<'PY'
{program()}PY
}}

{k3s}
{systemd}
case "${{1:-}}" in
verify)
    verify
    ;;
k3s)
    verify
    install_k3s
    echo "k3s files installed; put model files in /var/lib/inferplane/models and (re)start k3s"
    ;;
systemd)
    verify
    install_systemd
    ;;
*)
    echo "usage: $0 verify|k3s|systemd" >&2
    exit 2
    ;;
esac
"""


def _function(name: str, body: str) -> str:
    indented = "".join(f"    {line}\n" if line else "\n" for line in body.splitlines())
    return f"{name}() {{\n{indented}}}\n"


def fetch_images_sh(images: tuple[ModelImage, ...]) -> str:
    """Copies each pinned image (every platform, digests preserved) to the archive the
    manifest names; ``install.sh verify`` then checks each holds its pinned digest."""
    lines = []
    for image in images:
        named = image.ref.split("@", 1)[0]
        lines.append(
            f"skopeo copy --all --preserve-digests docker://{_q(image.ref)} \\\n"
            f'    "oci-archive:$here/"{_q(f"{image.archive}:{named}")}'
        )
    copies = "\n".join(lines)
    return f"""\
#!/bin/sh
# Run on a machine that reaches the registries, before the bundle goes to the site:
# copies each pinned image (by digest) into {K3S_IMAGES}/ as an OCI archive. manifest.json
# lists each with its digest; ./install.sh verify checks them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here"/{_q(K3S_IMAGES)}
{copies}
"""


def install_macos_sh(python: str, formulas: list[str], plists: list[str]) -> str:
    brew = " ".join(_q(f) for f in [*formulas, f"python@{python}"])
    return f"""\
#!/bin/bash
# Install this inferplane edge bundle on an Apple silicon Mac (Homebrew in /opt/homebrew).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root={MAC_ROOT}

brew install {brew}
sudo install -d -m 0755 "$root" "$root/app" "$root/models" "$root/log"
sudo chown nobody "$root/log"
sudo /opt/homebrew/bin/python{python} -m venv "$root/venv"
sudo "$root/venv/bin/pip" install --no-index --find-links "$here/wheels" \\
    --requirement "$here/requirements.txt"
sudo rm -rf "$root/app/router"
sudo cp -R "$here/app/router" "$root/app/router"
sudo install -m 0644 "$here/router.json" "$root/router.json"
for plist in {" ".join(plists)}; do
    sudo install -m 0644 "$here/launchd/$plist" "/Library/LaunchDaemons/$plist"
    sudo launchctl bootout system "/Library/LaunchDaemons/$plist" 2>/dev/null || true
    sudo launchctl bootstrap system "/Library/LaunchDaemons/$plist"
done
echo "installed; put model files in $root/models"
"""
