"""The shell scripts a bundle carries: install.sh (Linux: k3s or systemd), fetch-images.sh
(run where registries are reachable, to bring the pinned model-server images), and
install-macos.sh (Apple silicon). Rendered from fixed text, so they are deterministic."""

from __future__ import annotations

import shlex

from edge_images.launchd import MAC_ROOT
from edge_images.systemd import HOST_CONFIG, ROUTER_ROOT, ROUTER_UNIT
from inferplane.packaging.router_image import RouterImage

__all__ = ["fetch_images_sh", "install_macos_sh", "install_sh"]


def install_sh(image: RouterImage, units: list[str]) -> str:
    arches = " ".join(sorted(image.manifests))
    return f"""\
#!/bin/sh
# Install this inferplane edge bundle on the device (as root).
#   ./install.sh verify    check every file against manifest.json (needs python3)
#   ./install.sh k3s       put the airgap image, manifests and registries.yaml where k3s
#                          reads them; then install/start k3s (INSTALL_K3S_SKIP_DOWNLOAD=true)
#   ./install.sh systemd   no Kubernetes: unpack the router image (umoci) and enable units
set -eu
here=$(cd "$(dirname "$0")" && pwd)

verify() {{
    python3 - "$here" <<'PY'
import hashlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
files = json.loads((root / "manifest.json").read_text())["files"]
bad = [p for p, f in files.items()
       if hashlib.sha256((root / p).read_bytes()).hexdigest() != f["sha256"]]
print("bundle verified: %d files" % len(files) if not bad else "MISMATCH: " + " ".join(bad))
sys.exit(1 if bad else 0)
PY
}}

arch() {{
    case "$(uname -m)" in
        x86_64) echo amd64 ;;
        aarch64|arm64) echo arm64 ;;
        *) echo "unsupported machine $(uname -m)" >&2; exit 2 ;;
    esac
}}

case "${{1:-}}" in
verify)
    verify
    ;;
k3s)
    verify
    install -d /var/lib/rancher/k3s/agent/images /var/lib/rancher/k3s/server/manifests \\
        /etc/rancher/k3s /var/lib/inferplane/models
    cp "$here"/k3s/agent/images/*.tar /var/lib/rancher/k3s/agent/images/
    cp "$here"/k3s/server/manifests/*.yaml /var/lib/rancher/k3s/server/manifests/
    install -m 0644 "$here/k3s/registries.yaml" /etc/rancher/k3s/registries.yaml
    echo "k3s files installed; put model files in /var/lib/inferplane/models and (re)start k3s"
    ;;
systemd)
    verify
    a=$(arch)
    case " {arches} " in *" $a "*) ;; *) echo "router image has no $a build" >&2; exit 2 ;; esac
    rm -rf {ROUTER_ROOT}
    install -d -m 0755 /var/lib/inferplane /var/lib/inferplane/models /etc/inferplane
    umoci unpack --image "$here/images/router-oci:{image.tag}-$a" {ROUTER_ROOT}
    install -m 0644 "$here/systemd/router.json" {HOST_CONFIG}
    for unit in {" ".join(units)}; do
        install -m 0644 "$here/systemd/$unit" /etc/systemd/system/$unit
    done
    systemctl daemon-reload
    systemctl enable --now {" ".join(units)}
    systemctl --no-pager status {ROUTER_UNIT} || true
    ;;
*)
    echo "usage: $0 verify|k3s|systemd" >&2
    exit 2
    ;;
esac
"""


def fetch_images_sh(images: dict[str, str]) -> str:
    lines = []
    for name, ref in sorted(images.items()):
        named = ref.split("@", 1)[0]
        target = f"oci-archive:$here/k3s/agent/images/{name}.tar:{named}"
        lines.append(
            f'skopeo copy --preserve-digests docker://{shlex.quote(ref)} \\\n    "{target}"'
        )
    copies = "\n".join(lines)
    return f"""\
#!/bin/sh
# Run on a machine that reaches the registries, before the bundle goes to the site:
# copies each pinned image (by digest) into k3s/agent/images/ as an OCI archive.
# Re-run ./install.sh verify afterwards only if you regenerate manifest.json.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/k3s/agent/images"
{copies}
"""


def install_macos_sh(python: str, formulas: list[str], plists: list[str]) -> str:
    brew = " ".join(shlex.quote(f) for f in [*formulas, f"python@{python}"])
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
