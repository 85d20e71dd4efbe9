"""The shell scripts a bundle carries: install.sh (Linux: k3s or systemd), fetch-images.sh
(run where registries are reachable, to bring the pinned model-server images), and
install-macos.sh (Apple silicon). Rendered from fixed text, so they are deterministic."""

from __future__ import annotations

from inferplane.components.edge.install import ROOT_ENV, SiteLayout, runtime_part
from inferplane.components.edge.layout import (
    K3S_IMAGES,
    SITE_CA,
    SITE_TLS_DIR,
    InstallPlan,
    ModelImage,
)
from inferplane.components.edge.verify import program
from inferplane.components.shell import quote
from inferplane.edge_images.launchd import MAC_ROOT

__all__ = ["BASE", "fetch_images_sh", "install_macos_sh", "install_sh"]

BASE = SiteLayout().install_dir
"""Where releases live on the site (shared with the EdgeSite install)."""


def _q(value: str) -> str:
    return quote(value, "edge bundle value")


def install_sh(plan: InstallPlan) -> str:
    """``install.sh verify|k3s|systemd|rollback|status``: the same runtime part the EdgeSite
    install runs (``components.edge.install.runtime_part``), on a copy of this bundle in
    ``releases/<manifest sha256>/``, gated on health with automatic rollback."""
    k3s = _function("install_k3s", runtime_part("k3s", plan))
    systemd = _function("install_systemd", runtime_part("systemd", plan))
    probes = {
        runtime: "".join(
            f"    probe {_q(url)}{' --cacert ' + _site_ca() if url.startswith('https') else ''}"
            " || return 1\n"
            for url in plan.health_urls(runtime)
        )
        for runtime in ("k3s", "systemd")
    }
    rollouts = "".join(
        f"    k3s kubectl -n inferplane rollout status deployment/{_q(name)} --timeout=10s"
        " >/dev/null 2>&1 || return 1\n"
        for name in plan.deployments
    )
    return f"""\
#!/bin/bash
# Install this inferplane edge bundle on the device (as root). README.md says more.
#   ./install.sh verify    check every file against manifest.json and every fetched
#                          model-server image against its pinned digest (needs python3)
#   ./install.sh k3s       install this bundle as a release for k3s (airgap images,
#                          manifests, registries.yaml, model weights); then install/start
#                          k3s (INSTALL_K3S_SKIP_DOWNLOAD=true) if it is not running
#   ./install.sh systemd   no Kubernetes: unpack the router image (umoci), load the model
#                          images into podman, install the weights, enable the units
#   ./install.sh rollback  switch back to the release that was live before this one
#   ./install.sh status    the live release, the one rollback returns to, the kept ones
# Every install is copied to {BASE}/releases/<manifest sha256>/ and switched to with the
# `current` symlink; it counts as live once the site's router and model servers answer
# within $INFERPLANE_HEALTH_SECONDS (default 300), else the previous release is restored
# and restarted. $INFERPLANE_KEEP_RELEASES (default 3) releases are kept.
# The site's TLS certificate and key must be in {SITE_TLS_DIR} first (EdgeSite copies
# them; by hand: from the site's secrets directory written by `inferplane edge build`).
# ${ROOT_ENV} prefixes every path (an install into a directory, for tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${{{ROOT_ENV}:-}}
base="$root"{_q(BASE)}
health_seconds=${{INFERPLANE_HEALTH_SECONDS:-300}}
keep=${{INFERPLANE_KEEP_RELEASES:-3}}

verify() {{
    python3 - "$1" <<'PY'
{program()}PY
}}

say() {{
    # One line per event in the site's release log (install.sh status shows the last).
    mkdir -p "$base"
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >> "$base/releases.log"
    echo "$*"
}}

sha256() {{
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    else shasum -a 256 "$1" | cut -d' ' -f1; fi
}}

probe() {{
    curl -fsS --max-time 5 "$@" >/dev/null 2>&1
}}

{k3s}
{systemd}
healthy_k3s() {{
{probes["k3s"]}{rollouts}    return 0
}}

healthy_systemd() {{
{probes["systemd"]}    return 0
}}

activate() {{
    # Hand this release to the runtime, then wait for its health gate.
    release=$here
    "install_$1"
    deadline=$(( $(date +%s) + health_seconds ))
    until "healthy_$1"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "release $(basename "$here"): not healthy within ${{health_seconds}}s" >&2
            return 1
        fi
        sleep 2
    done
}}

prune() {{
    # Newest first; the live release and the rollback target are always kept.
    current=$(readlink "$base/current" || true)
    previous=$(readlink "$base/previous" || true)
    n=0
    # shellcheck disable=SC2012  # release names are hex digests
    ls -1dt "$base"/releases/*/ 2>/dev/null | while read -r dir; do
        dir=${{dir%/}}
        n=$(( n + 1 ))
        if [ "$n" -gt "$keep" ] && [ "$dir" != "$current" ] && [ "$dir" != "$previous" ]; then
            rm -rf "$dir"
        fi
    done
}}

switch_to() {{
    # $1 runtime, $2 release dir, $3 what this is (install|rollback). Rolls back on failure.
    runtime=$1 target=$2 what=$3
    from=$(readlink "$base/current" || true)
    ln -sfn "$target" "$base/current"
    printf '%s\n' "$runtime" > "$base/runtime"
    touch "$target"
    if "$target/install.sh" _activate "$runtime"; then
        if [ -n "$from" ] && [ "$from" != "$target" ]; then ln -sfn "$from" "$base/previous"; fi
        say "$what: release $(basename "$target") is live ($runtime)"
        prune
        return 0
    fi
    if [ -z "$from" ] || [ "$from" = "$target" ] || [ ! -x "$from/install.sh" ]; then
        say "$what: $(basename "$target") failed its health gate; no earlier release"
        return 1
    fi
    ln -sfn "$from" "$base/current"
    failed="$what: $(basename "$target") failed its health gate"
    if "$from/install.sh" _activate "$runtime"; then
        say "$failed; rolled back to $(basename "$from")"
    else
        say "$failed; rolled back to $(basename "$from"), which is unhealthy too"
    fi
    return 1
}}

install_release() {{
    verify "$here"
    version=$(sha256 "$here/manifest.json")
    target="$base/releases/$version"
    if [ "$here" != "$target" ]; then
        mkdir -p "$base/releases"
        rm -rf "$target.partial"
        cp -R "$here" "$target.partial"
        verify "$target.partial" >/dev/null
        rm -rf "$target"
        mv "$target.partial" "$target"
    fi
    switch_to "$1" "$target" install
}}

status() {{
    if [ ! -e "$base/current" ]; then echo "no release installed under $base"; return 1; fi
    echo "runtime:  $(cat "$base/runtime" 2>/dev/null || echo unknown)"
    echo "live:     $(basename "$(readlink "$base/current")")"
    echo "rollback: $(basename "$(readlink "$base/previous" 2>/dev/null || echo none)")"
    echo "kept:"
    # shellcheck disable=SC2012  # release names are hex digests
    ls -1t "$base/releases" | sed 's/^/  /'
    echo "last:     $(tail -n 1 "$base/releases.log" 2>/dev/null || echo none)"
}}

rollback() {{
    previous=$(readlink "$base/previous" || true)
    if [ -z "$previous" ] || [ ! -x "$previous/install.sh" ]; then
        echo "no earlier release to roll back to (install.sh status)" >&2
        return 1
    fi
    runtime=$(cat "$base/runtime")
    switch_to "$runtime" "$previous" rollback
}}

case "${{1:-}}" in
verify)
    verify "$here"
    ;;
k3s | systemd)
    install_release "$1"
    ;;
rollback)
    rollback
    ;;
status)
    status
    ;;
_activate)
    activate "$2"
    ;;
*)
    echo "usage: $0 verify|k3s|systemd|rollback|status" >&2
    exit 2
    ;;
esac
"""


def _site_ca() -> str:
    return f'"$root"{_q(SITE_CA)}'


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
