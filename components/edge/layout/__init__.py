"""Where things are in an edge bundle and where they go on a site: the one layout the
builder (``edge_images``) writes and both installers (the bundle's ``install.sh`` and the
``EdgeSite`` install script, ``components.edge.install``) read.

The bundle's ``manifest.json`` carries an ``install`` section (``InstallPlan``): per
runtime, the exact files the installer hands to the runtime. The installers install those
files and nothing else, and a listed file that is missing is an error, never a skip.

This module is a leaf (stdlib only): ``components`` must not depend on the builder, while
the builder already builds on ``components`` (Kubernetes manifests, endpoint shapes), so
the shared layout lives on the components side and ``edge_images`` imports it.
"""

from __future__ import annotations

from inferplane.components.edge.layout.manifest import plan_from_manifest
from inferplane.components.edge.layout.paths import (
    BUNDLE_README,
    K3S_BIN,
    K3S_IMAGES,
    K3S_INSTALL_SCRIPT,
    K3S_MANIFESTS,
    K3S_REGISTRIES,
    LAUNCHD_DIR,
    MACOS_DIR,
    MODELS_DIR,
    ROUTER_OCI,
    SECRETS_CA,
    SECRETS_CERT,
    SECRETS_KEY,
    SIGNATURE,
    SITE_API_KEY,
    SITE_CA,
    SITE_REVOKED_KEYS,
    SITE_TLS_CERT,
    SITE_TLS_DIR,
    SITE_TLS_KEY,
    SITE_TRUSTED_KEYS,
    SYSTEMD_CONFIG,
    SYSTEMD_DIR,
    TLS_SECRET,
    TRUST_DIR,
    TRUST_REVOKED,
    SitePaths,
    secrets_dir,
)
from inferplane.components.edge.layout.plan import InstallPlan, K3sRuntime, ModelImage, ModelWeights

__all__ = [
    "BUNDLE_README",
    "K3S_BIN",
    "K3S_IMAGES",
    "K3S_INSTALL_SCRIPT",
    "K3S_MANIFESTS",
    "K3S_REGISTRIES",
    "LAUNCHD_DIR",
    "MACOS_DIR",
    "MODELS_DIR",
    "ROUTER_OCI",
    "SECRETS_CA",
    "SECRETS_CERT",
    "SECRETS_KEY",
    "SIGNATURE",
    "SITE_API_KEY",
    "SITE_CA",
    "SITE_REVOKED_KEYS",
    "SITE_TLS_CERT",
    "SITE_TLS_DIR",
    "SITE_TLS_KEY",
    "SITE_TRUSTED_KEYS",
    "SYSTEMD_CONFIG",
    "SYSTEMD_DIR",
    "TLS_SECRET",
    "TRUST_DIR",
    "TRUST_REVOKED",
    "InstallPlan",
    "K3sRuntime",
    "ModelImage",
    "ModelWeights",
    "SitePaths",
    "plan_from_manifest",
    "secrets_dir",
]
