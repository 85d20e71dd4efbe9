"""The paths of the layout: where things are in a bundle (relative) and where they go on a
site (absolute; installers prefix them with the install root)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# In the bundle (relative paths).
K3S_IMAGES = "k3s/agent/images"
"""Airgap image archives: the router's (built) and each model server's (fetch-images.sh)."""
K3S_BIN = "k3s/bin"
"""The k3s binaries (``k3s-<arch>``) of bundles built with ``--k3s-dir``."""
K3S_INSTALL_SCRIPT = "k3s/install/install.sh"
"""k3s's own install script, run with ``INSTALL_K3S_SKIP_DOWNLOAD=true``."""
K3S_MANIFESTS = "k3s/server/manifests"
K3S_REGISTRIES = "k3s/registries.yaml"
SYSTEMD_DIR = "systemd"
SYSTEMD_CONFIG = "systemd/router.json"
ROUTER_OCI = "images/router-oci"
"""The router's OCI layout (``umoci unpack`` source on systemd sites)."""
MACOS_DIR = "macos"
BUNDLE_README = "README.md"
"""The operator's guide in the bundle; installed at ``SitePaths.doc``."""
MODELS_DIR = "models"
"""Model weights packed into the bundle (``models/<target>/<file>``), installed into the
site's models directory (``SitePaths.models``) as ``<file>``."""
LAUNCHD_DIR = "macos/launchd"
SIGNATURE = "manifest.json.minisig"
"""The minisign signature of ``manifest.json`` (not listed in it: it signs it)."""
TRUST_DIR = "trust"
"""Public keys (``<KEYID>.pub``) the site trusts once this release is live: how a site
moves to a new signing key (a release signed by a trusted key names the next one)."""
TRUST_REVOKED = "trust/revoked-keys"
"""The release's revocation list (``KEYID reason`` lines; ``components.edge.minisign``):
signed with the manifest, added to the site's ``SITE_REVOKED_KEYS``, never removed."""

# On the site (absolute paths; installers prefix them with the install root).
SITE_TLS_DIR = "/etc/inferplane/tls"
"""The site's TLS certificate and key, copied by EdgeSite (never part of the bundle)."""
SITE_TLS_CERT = f"{SITE_TLS_DIR}/tls.crt"
SITE_TLS_KEY = f"{SITE_TLS_DIR}/tls.key"
SITE_CA = f"{SITE_TLS_DIR}/ca.pem"
"""The site CA's certificate (public): the install's health check verifies with it."""
TLS_SECRET = "inferplane-router-tls"
"""The k3s Secret (namespace ``inferplane``) the router mounts at ``SITE_TLS_DIR``: made
on the site by the installer from the site's TLS files, so no key is in the bundle."""
SITE_TRUSTED_KEYS = "/etc/inferplane/trusted-keys"
"""The minisign public keys (``*.pub``) whose signatures the site's installer accepts:
written by the seed or the first ``install.sh ... --trust KEY.pub``, then replaced by
each signed release's ``trust/`` set."""
SITE_REVOKED_KEYS = "/etc/inferplane/revoked-keys"
"""The site's revocation list: every verified release's ``trust/revoked-keys`` added to
it, nothing ever removed; a signature by a key in it is refused."""
SITE_API_KEY = "site-key.json"
"""File in the site's secrets directory holding the key the stack's router presents."""
SECRETS_CA = "ca.pem"
SECRETS_CERT = "tls.crt"
SECRETS_KEY = "tls.key"
"""The site's TLS files in its secrets directory (same names on the site)."""


def secrets_dir(bundle: Path) -> Path:
    """Where a bundle's site secrets live: ``<bundle>.secrets`` beside it (never inside:
    the bundle is copied whole and its files are listed in plaintext)."""
    return bundle.with_name(bundle.name + ".secrets")


@dataclass(frozen=True)
class SitePaths:
    """Where each runtime reads its files on the site."""

    k3s_images: str = "/var/lib/rancher/k3s/agent/images"
    k3s_manifests: str = "/var/lib/rancher/k3s/server/manifests"
    k3s_registries: str = "/etc/rancher/k3s/registries.yaml"
    k3s_bin_dir: str = "/usr/local/bin"
    """Where k3s's install script puts (and finds) ``k3s``."""
    unit_dir: str = "/etc/systemd/system"
    router_root: str = "/var/lib/inferplane/router"
    router_config: str = "/etc/inferplane/router.json"
    models: str = "/var/lib/inferplane/models"
    launch_daemons: str = "/Library/LaunchDaemons"
    mac_root: str = "/opt/inferplane"
    doc: str = "/usr/share/doc/inferplane/README.md"
    """The bundle's README.md; the router unit's ``Documentation=`` points here."""
