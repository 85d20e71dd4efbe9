"""The release steps around the runtime part: stage the copied bundle as
``releases/<digest>`` once every file's sha256 passes, then either hand it to the runtime
and wait for the health URL (``install_script``) or to the bundle's own install.sh
(``handover_script``)."""

from __future__ import annotations

from inferplane.components.edge.bundle import MANIFEST
from inferplane.components.edge.install.runtime import runtime_part
from inferplane.components.edge.install.site_layout import ROOT_ENV, Runtime, SiteLayout, q, site
from inferplane.components.edge.layout import SITE_CA, InstallPlan

__all__ = ["handover_script", "install_script"]

_COMMON = """\
set -euo pipefail
umask 022
root={root}
base="$root"{base}
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

_CURRENT = 'ln -sfn "$release" "$base/current"\n'


def _check(wait_seconds: int, checksums: str) -> None:
    if not 0 <= wait_seconds <= 7200:
        raise ValueError(f"wait_seconds {wait_seconds} is out of range; allowed: 0..7200")
    if "SHA256SUMS" in checksums or not checksums.endswith("\n"):
        raise ValueError("checksums must be sha256sum lines, each ending in a newline")


def _stage(layout: SiteLayout, digest: str, checksums: str) -> str:
    """Verify, move to ``releases/<digest>`` and point ``current`` at it."""
    return _COMMON.format(
        root=q(layout.root),
        base=q(layout.install_dir),
        digest=q(digest),
        checksums=checksums,
        manifest=MANIFEST,
    )


def _health_gate(health_url: str, wait_seconds: int) -> str:
    # The site's router serves TLS with a certificate for the site's names; on the site
    # itself it is reached on loopback, which the certificate names too.
    fetch = "curl -fsS --max-time 5"
    if health_url.startswith("https://"):
        fetch += f" --cacert {site(SITE_CA)}"
    return _HEALTH.format(wait_seconds=wait_seconds, fetch=fetch, health_url=q(health_url))


def install_script(
    runtime: Runtime,
    digest: str,
    checksums: str,
    health_url: str,
    plan: InstallPlan,
    *,
    layout: SiteLayout | None = None,
    wait_seconds: int = 900,
) -> str:
    """The install script for a bundle with ``digest`` and ``checksums`` (sha256sum
    format, paths relative to the bundle). ``health_url`` is fetched on the site with
    the site's CA (``/etc/inferplane/tls/ca.pem``) when it is https."""
    layout = layout or SiteLayout()
    _check(wait_seconds, checksums)
    staged = "#!/bin/bash\n" + _stage(layout, digest, checksums)
    body = runtime_part(runtime, plan, layout.paths)
    return staged + body + _health_gate(health_url, wait_seconds)


def handover_script(
    runtime: Runtime,
    digest: str,
    checksums: str,
    *,
    layout: SiteLayout | None = None,
    wait_seconds: int = 900,
) -> str:
    """Stage the copied bundle as ``releases/<digest>`` (every file's sha256 checked first)
    and hand it to the bundle's own ``install.sh <runtime>`` (k3s or systemd): the one
    installer that switches ``current``, waits for the health gate and, when the release
    fails it, restores and restarts the previous release and exits non-zero with the
    reason. EdgeSite runs this, so ``pulumi up`` gets the same rollback as a hand install."""
    layout = layout or SiteLayout()
    if runtime not in ("k3s", "systemd"):
        raise ValueError(f"runtime {runtime!r} has no install.sh handover; allowed: k3s, systemd")
    _check(wait_seconds, checksums)
    common = _stage(layout, digest, checksums)
    # install.sh switches `current` itself, remembering the release it replaces.
    assert common.endswith(_CURRENT)
    return (
        "#!/bin/bash\n"
        + common.removesuffix(_CURRENT)
        + f'export {ROOT_ENV}="$root" INFERPLANE_HEALTH_SECONDS={q(str(wait_seconds))}\n'
        + f'exec "$release"/install.sh {q(runtime)}\n'
    )
