"""The shell scripts a bundle carries: install.sh (Linux: k3s or systemd), fetch-images.sh
(run where registries are reachable, to bring the pinned model-server images), and
install-macos.sh (Apple silicon). Rendered from fixed text, so they are deterministic."""

from __future__ import annotations

from inferplane.components.edge import keyring
from inferplane.components.edge.install import ROOT_ENV, SiteLayout, runtime_part
from inferplane.components.edge.layout import (
    K3S_IMAGES,
    SIGNATURE,
    SITE_CA,
    SITE_REVOKED_KEYS,
    SITE_TLS_DIR,
    SITE_TRUSTED_KEYS,
    TRUST_DIR,
    TRUST_REVOKED,
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
#   ./install.sh verify    check manifest.json's signature against the site's trusted
#                          keys, every file against manifest.json and every fetched
#                          model-server image against its pinned digest (needs python3)
#   ./install.sh k3s       install this bundle as a release for k3s (airgap images,
#                          manifests, registries.yaml, model weights); bundles built
#                          with --k3s-dir first install k3s itself from the bundle
#                          (INSTALL_K3S_SKIP_DOWNLOAD=true) if it is not running
#   ./install.sh systemd   no Kubernetes: unpack the router image (umoci), load the model
#                          images into podman, install the weights, enable the units
#   ./install.sh rollback  switch back to the release that was live before this one
#   ./install.sh status    the live release, the one rollback returns to, the kept ones
# Options of verify|k3s|systemd:
#   --trust KEY.pub        add a minisign public key to the site's trusted keys first
#                          (the first install of a site not provisioned from its seed)
#   --allow-unsigned       install even if manifest.json.minisig is missing or does not
#                          verify (says so in the release log; never changes trusted keys)
# Trusted keys: {SITE_TRUSTED_KEYS}/*.pub (or $INFERPLANE_TRUSTED_KEYS, a directory
# or one .pub file). A signed release that goes live replaces them with its {TRUST_DIR}/ set.
# A key whose comment says `expires YYYY-MM-DD` is refused for signatures dated (by their
# own signed timestamp) on or after that day. Revoked keys: {SITE_REVOKED_KEYS}
# (or $INFERPLANE_REVOKED_KEYS); a verified release's {TRUST_REVOKED} is added to it
# and nothing is ever removed; their signatures are refused whatever their date.
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
keys=${{INFERPLANE_TRUSTED_KEYS:-"$root"{_q(SITE_TRUSTED_KEYS)}}}
revoked=${{INFERPLANE_REVOKED_KEYS:-"$root"{_q(SITE_REVOKED_KEYS)}}}
health_seconds=${{INFERPLANE_HEALTH_SECONDS:-300}}
keep=${{INFERPLANE_KEEP_RELEASES:-3}}
allow_unsigned=0
signed=0

files_ok() {{
    python3 - "$1" <<'PY'
{program()}PY
}}

keyring() {{
    # components/edge/keyring.py: verify | trust | revoke | adopt | kept (its _main).
    python3 - "$@" <<'PY'
{keyring.program()}PY
}}

signature_ok() {{
    # The release's own revocation list may only refuse more (it is not verified yet).
    keyring verify "$1/manifest.json" "$1"/{_q(SIGNATURE)} "$keys" "$revoked" \
        "$1"/{_q(TRUST_REVOKED)}
}}

verify() {{
    # The signature first: it vouches for manifest.json, which vouches for every file.
    if signature_ok "$1"; then
        signed=1
    elif [ "$allow_unsigned" = 1 ]; then
        echo "WARNING: installing without a valid signature (--allow-unsigned)" >&2
    else
        echo "refusing $1: not signed by a trusted key (--allow-unsigned overrides)" >&2
        return 1
    fi
    files_ok "$1"
}}

trust() {{
    # --trust KEY.pub: a minisign public key (checked, not revoked) into the trusted keys.
    id=$(keyring trust "$1" "$keys" "$revoked") || {{ echo "--trust $1: refused" >&2; return 1; }}
    echo "trusting key $id ($1)"
}}

adopt_revoked() {{
    # A verified release's revocations join the site's list at once (before its health
    # gate: a failed release must not leave a revoked key trusted); never removed.
    [ "$signed" = 1 ] && [ -f "$1"/{_q(TRUST_REVOKED)} ] || return 0
    keyring revoke "$1"/{_q(TRUST_REVOKED)} "$revoked" "$keys" | while read -r line; do
        say "$line"
    done
}}

adopt_trust() {{
    # A signed, live release names the keys the site trusts from now on (rotation).
    [ "$signed" = 1 ] && [ -d "$1"/{_q(TRUST_DIR)} ] || return 0
    ls "$1"/{_q(TRUST_DIR)}/*.pub >/dev/null 2>&1 || return 0
    rm -rf "$keys.new"
    mkdir -p "$keys.new"
    keyring adopt "$1"/{_q(TRUST_DIR)} "$keys.new" "$revoked"
    ls "$keys.new"/*.pub >/dev/null 2>&1 || {{ rm -rf "$keys.new"; return 0; }}
    rm -rf "$keys.old"
    if [ -d "$keys" ]; then mv "$keys" "$keys.old"; fi
    mv "$keys.new" "$keys"
    rm -rf "$keys.old"
    names=""
    for key in "$keys"/*.pub; do names="$names ${{key##*/}}"; done
    say "trusted keys now:$names"
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
    # URL [--cacert CA]. curl where there is one, else python3 (a box with only
    # coreutils and python3 installs too).
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 5 "$@" >/dev/null 2>&1
        return
    fi
    python3 - "$@" >/dev/null 2>&1 <<'PY'
import ssl, sys, urllib.request
ca = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--cacert" else None
context = ssl.create_default_context(cafile=ca) if ca else None
urllib.request.urlopen(sys.argv[1], timeout=5, context=context).read()
PY
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
        if [ "$what" = install ]; then adopt_trust "$target"; fi
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
    adopt_revoked "$here"
    version=$(sha256 "$here/manifest.json")
    target="$base/releases/$version"
    if [ "$here" != "$target" ]; then
        mkdir -p "$base/releases"
        rm -rf "$target.partial"
        cp -R "$here" "$target.partial"
        files_ok "$target.partial" >/dev/null
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
    # Never back to a release whose signer has been revoked since it was installed.
    keyring kept "$previous"/{_q(SIGNATURE)} "$revoked" || {{
        echo "refusing to roll back to $(basename "$previous")" >&2
        return 1
    }}
    runtime=$(cat "$base/runtime")
    switch_to "$runtime" "$previous" rollback
}}

command=${{1:-}}
[ $# -gt 0 ] && shift
if [ "$command" != _activate ]; then
    while [ $# -gt 0 ]; do
        case "$1" in
        --allow-unsigned) allow_unsigned=1 ;;
        --trust)
            [ $# -ge 2 ] || {{ echo "--trust needs a public key file" >&2; exit 2; }}
            trust "$2"
            shift
            ;;
        *) echo "unknown option $1 (allowed: --allow-unsigned, --trust KEY.pub)" >&2; exit 2 ;;
        esac
        shift
    done
fi
case "$command" in
verify)
    verify "$here"
    ;;
k3s | systemd)
    install_release "$command"
    ;;
rollback)
    rollback
    ;;
status)
    status
    ;;
_activate)
    activate "$1"
    ;;
*)
    echo "usage: $0 verify|k3s|systemd [--allow-unsigned] [--trust KEY.pub]|rollback|status" >&2
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
