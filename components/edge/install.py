"""The shell that installs an edge bundle on a site, and the one that removes it.

``EdgeSite`` runs them over SSH (``bash -s``, the script on stdin) after copying the bundle
to ``<install_dir>/incoming/<digest>``. Install: verify every file's sha256 on the site,
move the bundle to ``releases/<digest>``, point ``current`` at it, hand it to the runtime
(k3s: airgap images imported into containerd and manifests into the auto-deploy
directory; systemd or launchd: units), wait for the health URL, keep the last three
releases. Nothing is touched before the checksums pass. Bash 3.2 (macOS) compatible.

Bundle layout used (from ``inferplane edge build``): ``agent/images/*.tar[.zst]``,
``server/manifests/*.yaml``, ``registries.yaml`` (k3s), ``systemd/*.{service,socket,timer}``
(systemd), ``launchd/*.plist`` (launchd).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from components.edge.bundle import MANIFEST

__all__ = ["Runtime", "SiteLayout", "install_script", "uninstall_script"]

Runtime = Literal["k3s", "systemd", "launchd"]


@dataclass(frozen=True)
class SiteLayout:
    """Where things go on the site. ``root`` prefixes every path (tests install into a
    temporary directory; on a site it is empty)."""

    install_dir: str = "/opt/inferplane"
    root: str = ""

    def path(self, site_path: str) -> str:
        return shlex.quote(self.root + site_path)


_COMMON = """\
set -euo pipefail
umask 022
base={base}
digest={digest}
incoming="$base/incoming/$digest"
release="$base/releases/$digest"
sums() {{
  if command -v sha256sum >/dev/null 2>&1; then sha256sum --check --strict --quiet
  else shasum -a 256 --check --strict --quiet; fi
}}
verify() {{
  (cd "$1" && sums) <<'SHA256SUMS'
{checksums}SHA256SUMS
}}
manifest=$(find "$incoming" -maxdepth 2 -name {manifest} -print 2>/dev/null | head -n 1 || true)
if [ -n "$manifest" ]; then
  # CopyToRemote puts the directory at the path, or inside it when the path exists.
  src=$(dirname "$manifest")
  verify "$src" || {{ echo "bundle $digest: checksum mismatch, nothing installed" >&2; exit 1; }}
  mkdir -p "$base/releases"
  rm -rf "$release"
  mv "$src" "$release"
  rm -rf "$incoming"
elif [ -d "$release" ]; then
  verify "$release" || {{ echo "release $digest: checksum mismatch" >&2; exit 1; }}
else
  echo "bundle $digest: not found under $incoming" >&2
  exit 1
fi
ln -sfn "$release" "$base/current"
"""

_K3S = """\
k3s_dir={k3s}
mkdir -p "$k3s_dir/agent/images" "$k3s_dir/server/manifests" {etc_k3s}
for image in "$release"/agent/images/*.tar "$release"/agent/images/*.tar.zst; do
  [ -f "$image" ] || continue
  # Kept in agent/images for reboots; imported now so pods start without a restart.
  install -m 0644 "$image" "$k3s_dir/agent/images/"
  k3s ctr images import "$image"
done
if [ -f "$release/registries.yaml" ] && ! cmp -s "$release/registries.yaml" {registries}; then
  install -m 0600 "$release/registries.yaml" {registries}
  systemctl restart k3s  # k3s reads registries.yaml only at start
fi
for manifest in "$release"/server/manifests/*.yaml; do
  [ -f "$manifest" ] || continue
  # k3s applies (and re-applies on change) every file in server/manifests.
  install -m 0600 "$manifest" "$k3s_dir/server/manifests/inferplane-$(basename "$manifest")"
done
"""

_SYSTEMD = """\
units=""
mkdir -p {unit_dir}
for unit in "$release"/systemd/*.service "$release"/systemd/*.socket "$release"/systemd/*.timer; do
  [ -f "$unit" ] || continue
  install -m 0644 "$unit" {unit_dir}/
  units="$units $(basename "$unit")"
done
systemctl daemon-reload
if [ -n "$units" ]; then
  # shellcheck disable=SC2086  # a list of plain unit names, split on purpose
  systemctl enable $units
  # shellcheck disable=SC2086  # units run from $base/current: restart onto the new release
  systemctl restart $units
fi
"""

_LAUNCHD = """\
mkdir -p {agent_dir}
for plist in "$release"/launchd/*.plist; do
  [ -f "$plist" ] || continue
  name=$(basename "$plist" .plist)
  install -m 0644 "$plist" {agent_dir}/
  launchctl bootout "system/$name" 2>/dev/null || true
  launchctl bootstrap system {agent_dir}/"$name.plist"
done
"""

_HEALTH = """\
deadline=$(( $(date +%s) + {wait_seconds} ))
until {fetch} {health_url} >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "release $digest installed, but {health_url} did not answer in {wait_seconds}s" >&2
    exit 1
  fi
  sleep 5
done
# shellcheck disable=SC2012  # release names are hex digests
ls -1dt "$base"/releases/*/ | tail -n +4 | while read -r old; do rm -rf "$old"; done
echo "release $digest is live"
"""


def install_script(
    runtime: Runtime,
    digest: str,
    checksums: str,
    health_url: str,
    *,
    layout: SiteLayout | None = None,
    wait_seconds: int = 900,
) -> str:
    """The install script for a bundle with ``digest`` and ``checksums`` (sha256sum
    format, paths relative to the bundle)."""
    layout = layout or SiteLayout()
    if not 0 <= wait_seconds <= 7200:
        raise ValueError(f"wait_seconds {wait_seconds} is out of range; allowed: 0..7200")
    if "SHA256SUMS" in checksums or not checksums.endswith("\n"):
        raise ValueError("checksums must be sha256sum lines, each ending in a newline")
    script = "#!/bin/bash\n" + _COMMON.format(
        base=layout.path(layout.install_dir),
        digest=shlex.quote(digest),
        checksums=checksums,
        manifest=MANIFEST,
    )
    script += _runtime_part(runtime, layout)
    fetch = "curl -fsS --max-time 5"
    return script + _HEALTH.format(
        wait_seconds=wait_seconds, fetch=fetch, health_url=shlex.quote(health_url)
    )


def _runtime_part(runtime: Runtime, layout: SiteLayout) -> str:
    if runtime == "k3s":
        return _K3S.format(
            k3s=layout.path("/var/lib/rancher/k3s"),
            etc_k3s=layout.path("/etc/rancher/k3s"),
            registries=layout.path("/etc/rancher/k3s/registries.yaml"),
        )
    if runtime == "systemd":
        return _SYSTEMD.format(unit_dir=layout.path("/etc/systemd/system"))
    if runtime == "launchd":
        return _LAUNCHD.format(agent_dir=layout.path("/Library/LaunchDaemons"))
    raise ValueError(f"runtime {runtime!r} is unknown; allowed: k3s, systemd, launchd")


_REMOVE = {
    "k3s": """\
for manifest in {k3s}/server/manifests/inferplane-*.yaml; do
  [ -f "$manifest" ] || continue
  # Removing the file alone leaves the objects running: delete them first.
  k3s kubectl delete --ignore-not-found -f "$manifest"
  rm -f "$manifest"
done
""",
    "systemd": """\
for unit in "$base"/current/systemd/*; do
  [ -f "$unit" ] || continue
  name=$(basename "$unit")
  systemctl disable --now "$name" || true
  rm -f {unit_dir}/"$name"
done
systemctl daemon-reload
""",
    "launchd": """\
for plist in "$base"/current/launchd/*.plist; do
  [ -f "$plist" ] || continue
  name=$(basename "$plist" .plist)
  launchctl bootout "system/$name" 2>/dev/null || true
  rm -f {agent_dir}/"$name.plist"
done
""",
}


def uninstall_script(runtime: Runtime, layout: SiteLayout | None = None) -> str:
    """The script that stops what the bundle runs and removes its releases."""
    layout = layout or SiteLayout()
    if runtime not in _REMOVE:
        raise ValueError(f"runtime {runtime!r} is unknown; allowed: {', '.join(_REMOVE)}")
    body = _REMOVE[runtime].format(
        k3s=layout.path("/var/lib/rancher/k3s"),
        unit_dir=layout.path("/etc/systemd/system"),
        agent_dir=layout.path("/Library/LaunchDaemons"),
    )
    base = layout.path(layout.install_dir)
    return (
        f"#!/bin/bash\nset -euo pipefail\nbase={base}\n{body}"
        'rm -rf "$base/current" "$base/releases" "$base/incoming"\n'
    )
