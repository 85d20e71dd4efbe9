"""The health gate EdgeSite runs after an install: the site is healthy when the bundle's
installer says the expected release is live (``install.sh status``) and the site's router
answers ``/readyz`` on loopback (TLS with the site CA, as the installer probes it).

The gate's stdout (the status lines) becomes the site's ``health`` output. When it fails,
the command exits non-zero with the installer's status, whose ``last:`` line holds the
site's reason (e.g. "install: <sha> failed its health gate; rolled back to <sha>"): Pulumi
reports it and creates nothing that waits for the gate (the fleet's next wave).
"""

from __future__ import annotations

from components.edge.layout import SITE_CA
from components.shell import quote

__all__ = ["INSTALLER_BASE", "READY_PATH", "gate_script"]

INSTALLER_BASE = "/opt/inferplane"
"""Where the bundle's install.sh keeps ``releases/``, ``current`` and ``previous``
(``edge_images.scripts.BASE``; the installer's paths are fixed)."""
READY_PATH = "/readyz"
"""The site router's readiness path (200 once it and its model servers answer)."""

_GATE = """\
#!/bin/bash
set -uo pipefail
root={root}
site={site}
expected={digest}
installer="$root"{base}/current/install.sh
if [ ! -x "$installer" ]; then
  echo "site $site: no release is live (no $installer)" >&2
  exit 1
fi
status=$(INFERPLANE_ROOT="$root" "$installer" status 2>&1)
live=$(printf '%s\\n' "$status" | awk '$1 == "live:" {{print $2}}')
if [ "$live" != "$expected" ]; then
  echo "site $site: release $expected is not live (live: ${{live:-none}}); installer status:" >&2
  printf '%s\\n' "$status" >&2
  exit 1
fi
if ! curl -fsS --max-time 10 --cacert "$root"{ca} {ready} >/dev/null; then
  echo "site $site: release $expected is live, but the site router's {ready_path} does not" \\
    "answer; installer status:" >&2
  printf '%s\\n' "$status" >&2
  exit 1
fi
printf '%s\\n' "$status"
"""


def gate_script(site: str, digest: str, port: int, *, root: str = "") -> str:
    """The gate for ``site`` expecting release ``digest`` live, router on ``port``."""
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range; allowed: 1..65535")
    return _GATE.format(
        root=quote(root, "site root"),
        site=quote(site, "site name"),
        digest=quote(digest, "release digest"),
        base=quote(INSTALLER_BASE, "installer base"),
        ca=quote(SITE_CA, "site CA path"),
        ready=quote(f"https://127.0.0.1:{port}{READY_PATH}", "site ready URL"),
        ready_path=READY_PATH,
    )
