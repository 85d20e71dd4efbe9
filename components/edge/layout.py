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

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    "SITE_TLS_CERT",
    "SITE_TLS_DIR",
    "SITE_TLS_KEY",
    "SITE_TRUSTED_KEYS",
    "SYSTEMD_CONFIG",
    "SYSTEMD_DIR",
    "TLS_SECRET",
    "TRUST_DIR",
    "InstallPlan",
    "K3sRuntime",
    "ModelImage",
    "ModelWeights",
    "SitePaths",
    "plan_from_manifest",
    "secrets_dir",
]

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


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PATH = re.compile(r"^[A-Za-z0-9._/+-]+$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_HEALTH_URL = re.compile(r"^https?://127\.0\.0\.1:[0-9]{1,5}/[A-Za-z0-9._/-]*$")


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


@dataclass(frozen=True)
class ModelImage:
    """A model-server image the site runs, pinned by digest; ``archive`` is where
    fetch-images.sh puts it (the builder cannot: it never pulls)."""

    name: str
    """Archive stem, e.g. ``model-llama-lab``."""
    ref: str
    """``repo[:tag]@sha256:<digest>`` as the units and manifests name it."""
    digest: str
    """``sha256:<hex>``: the top descriptor the archive must hold."""
    archive: str
    """Bundle path of the OCI archive."""
    k3s_only: bool = False
    """Only Kubernetes runs it (the NVIDIA device plugin): podman does not load it."""

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"ref": self.ref, "digest": self.digest, "archive": self.archive}
        if self.k3s_only:
            found["k3s_only"] = True
        return found


@dataclass(frozen=True)
class ModelWeights:
    """One target's weight files in the bundle. Their sha256 and size are in the
    manifest's ``files`` like every other file (one place to check, one place to tamper);
    ``bytes`` is their total, checked against the site's free disk before activation."""

    target: str
    files: tuple[str, ...]
    """Bundle paths, ``models/<target>/<name>``; installed as ``<models>/<name>``."""
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"files": list(self.files), "bytes": self.bytes}

    def installed_name(self, path: str) -> str:
        """Where ``path`` goes below the site's models directory."""
        return path.removeprefix(f"{MODELS_DIR}/{self.target}/")


@dataclass(frozen=True)
class K3sRuntime:
    """k3s itself in the bundle (``install.k3s.runtime``): per architecture the binary and
    the airgap images tarball, and the install script, all listed in ``files``."""

    version: str
    binaries: tuple[tuple[str, str], ...]
    """(arch, bundle path) per architecture."""
    airgap: tuple[tuple[str, str], ...]
    install_script: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "binaries": dict(self.binaries),
            "airgap": dict(self.airgap),
            "install_script": self.install_script,
        }

    def paths(self) -> tuple[str, ...]:
        return (*(p for _, p in self.binaries), *(p for _, p in self.airgap), self.install_script)


@dataclass(frozen=True)
class InstallPlan:
    """The files each runtime installs, exactly (manifest.json ``install``)."""

    k3s_images: tuple[str, ...] = ()
    """Built airgap archives (the router's); model images are in ``images``."""
    k3s_manifests: tuple[str, ...] = ()
    k3s_registries: str | None = None
    systemd_units: tuple[str, ...] = ()
    """Unit files under ``systemd/``; every one is installed, enabled and started."""
    systemd_config: str | None = None
    router_oci_tag: str | None = None
    """``<tag>`` of the router image in ``images/router-oci`` (``<tag>-<arch>`` unpacked)."""
    router_arches: tuple[str, ...] = ()
    launchd_plists: tuple[str, ...] = ()
    mac_python: str | None = None
    """The Homebrew Python the router's virtualenv is built with (``python3.12``)."""
    images: tuple[ModelImage, ...] = field(default=())
    """Model-server images: imported into containerd (k3s) or loaded into podman (systemd)."""
    weights: tuple[ModelWeights, ...] = ()
    """Model weights packed into the bundle (``inferplane edge pack-model``)."""
    health: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per runtime, the loopback URLs that must answer before a release counts as live
    (the site's router over HTTPS, and the model servers where the host reaches them)."""
    deployments: tuple[str, ...] = ()
    """k3s Deployments (namespace ``inferplane``) that must finish rolling out."""
    readme: str | None = None
    """The bundle's README.md, installed at ``SitePaths.doc``."""
    k3s_runtime: K3sRuntime | None = None
    """k3s itself, for sites without it (``edge build --k3s-dir``)."""

    def health_urls(self, runtime: str) -> tuple[str, ...]:
        return dict(self.health).get(runtime, ())

    @property
    def weight_bytes(self) -> int:
        return sum(w.bytes for w in self.weights)

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.k3s_manifests:
            found["k3s"] = {
                "images": list(self.k3s_images),
                "manifests": list(self.k3s_manifests),
                "registries": self.k3s_registries,
            }
            if self.k3s_runtime is not None:
                found["k3s"]["runtime"] = self.k3s_runtime.to_dict()
        if self.systemd_units:
            found["systemd"] = {
                "units": list(self.systemd_units),
                "config": self.systemd_config,
                "router_oci_tag": self.router_oci_tag,
                "router_arches": list(self.router_arches),
            }
        if self.launchd_plists:
            found["launchd"] = {"plists": list(self.launchd_plists), "python": self.mac_python}
        found["images"] = {image.name: image.to_dict() for image in self.images}
        if self.weights:
            found["weights"] = {w.target: w.to_dict() for w in self.weights}
        if self.readme is not None:
            found["readme"] = self.readme
        if self.health or self.deployments:
            found["health"] = {
                **{runtime: list(urls) for runtime, urls in self.health},
                "deployments": list(self.deployments),
            }
        return found

    def paths(self) -> tuple[str, ...]:
        """Every built file the plan names (the model archives come later)."""
        named = [*self.k3s_images, *self.k3s_manifests, *self.systemd_units]
        named += [*self.launchd_plists]
        named += [path for weights in self.weights for path in weights.files]
        named += [
            p for p in (self.k3s_registries, self.systemd_config, self.readme) if p is not None
        ]
        if self.k3s_runtime is not None:
            named += self.k3s_runtime.paths()
        return tuple(named)


def plan_from_manifest(document: Any, where: str) -> InstallPlan:
    """The ``install`` section of a manifest.json; ValueError naming the bad key."""
    section = document.get("install") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ValueError(
            f"{where} has no 'install' section; rebuild the bundle with `inferplane edge build`"
        )
    k3s = _section(section, "k3s", where)
    systemd = _section(section, "systemd", where)
    launchd = _section(section, "launchd", where)
    images = section.get("images", {})
    if not isinstance(images, dict):
        raise ValueError(f"{where} install.images is not a mapping")
    models = []
    for name, entry in sorted(images.items()):
        key = f"{where} install.images.{name}"
        if not isinstance(entry, dict) or not _NAME.match(str(name)):
            raise ValueError(f"{key} is not an image entry")
        ref, digest, archive = (entry.get(k) for k in ("ref", "digest", "archive"))
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise ValueError(f"{key}.digest {digest!r} is not sha256:<64 hex>")
        if not isinstance(ref, str) or not ref.endswith("@" + digest):
            raise ValueError(f"{key}.ref {ref!r} is not pinned to {digest}")
        k3s_only = entry.get("k3s_only", False) is True
        models.append(
            ModelImage(str(name), ref, digest, _path(archive, f"{key}.archive"), k3s_only)
        )
    packed = _weights(section, where)
    urls, deployments = _health(section, where)
    tag = systemd.get("router_oci_tag")
    if tag is not None and (not isinstance(tag, str) or not _NAME.match(tag)):
        raise ValueError(f"{where} install.systemd.router_oci_tag {tag!r} is not an image tag")
    python = launchd.get("python")
    if python is not None and (
        not isinstance(python, str) or not re.match(r"^python3\.\d+$", python)
    ):
        raise ValueError(f"{where} install.launchd.python {python!r} is not python3.<minor>")
    arches = tuple(str(a) for a in systemd.get("router_arches", ()))
    if any(a not in ("amd64", "arm64") for a in arches):
        raise ValueError(f"{where} install.systemd.router_arches {arches!r}; allowed: amd64, arm64")
    return InstallPlan(
        k3s_images=_paths(k3s, "images", f"{where} install.k3s"),
        k3s_manifests=_paths(k3s, "manifests", f"{where} install.k3s"),
        k3s_registries=_optional_path(k3s.get("registries"), f"{where} install.k3s.registries"),
        systemd_units=_paths(systemd, "units", f"{where} install.systemd"),
        systemd_config=_optional_path(systemd.get("config"), f"{where} install.systemd.config"),
        router_oci_tag=tag,
        router_arches=arches,
        launchd_plists=_paths(launchd, "plists", f"{where} install.launchd"),
        mac_python=python,
        images=tuple(models),
        weights=packed,
        health=urls,
        deployments=deployments,
        readme=_optional_path(section.get("readme"), f"{where} install.readme"),
        k3s_runtime=_k3s_runtime(k3s, where),
    )


def _k3s_runtime(k3s: dict[str, Any], where: str) -> K3sRuntime | None:
    runtime = k3s.get("runtime")
    if runtime is None:
        return None
    key = f"{where} install.k3s.runtime"
    if not isinstance(runtime, dict):
        raise ValueError(f"{key} is not a mapping")
    version = runtime.get("version")
    if not isinstance(version, str) or not re.match(
        r"^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$", version
    ):
        raise ValueError(f"{key}.version {version!r} is not a k3s version (v1.34.2+k3s1)")
    per_arch = []
    for name in ("binaries", "airgap"):
        entries = runtime.get(name)
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f"{key}.{name} is not a mapping of arch -> path")
        if any(arch not in ("amd64", "arm64") for arch in entries):
            raise ValueError(f"{key}.{name} {sorted(entries)!r}; allowed: amd64, arm64")
        per_arch.append(
            tuple((arch, _path(p, f"{key}.{name}.{arch}")) for arch, p in sorted(entries.items()))
        )
    script = _path(runtime.get("install_script"), f"{key}.install_script")
    return K3sRuntime(version, per_arch[0], per_arch[1], script)


def _weights(section: dict[str, Any], where: str) -> tuple[ModelWeights, ...]:
    weights = section.get("weights", {})
    if not isinstance(weights, dict):
        raise ValueError(f"{where} install.weights is not a mapping")
    packed = []
    for target, entry in sorted(weights.items()):
        key = f"{where} install.weights.{target}"
        if not isinstance(entry, dict) or not _NAME.match(str(target)):
            raise ValueError(f"{key} is not a weights entry")
        files = _paths(entry, "files", key)
        prefix = f"{MODELS_DIR}/{target}/"
        outside = [f for f in files if not f.startswith(prefix)]
        if outside or not files:
            raise ValueError(f"{key}.files {outside or files!r}: allowed: paths under {prefix}")
        total = entry.get("bytes")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"{key}.bytes {total!r} is not a byte count")
        packed.append(ModelWeights(str(target), files, total))
    return tuple(packed)


def _health(
    section: dict[str, Any], where: str
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    health = _section(section, "health", where)
    urls = []
    for runtime in ("k3s", "systemd"):
        listed = health.get(runtime, [])
        if not isinstance(listed, list) or not all(
            isinstance(u, str) and _HEALTH_URL.match(u) for u in listed
        ):
            raise ValueError(
                f"{where} install.health.{runtime} {listed!r}: allowed: a list of "
                "http(s)://127.0.0.1:<port>/<path> URLs"
            )
        if listed:
            urls.append((runtime, tuple(listed)))
    deployments = health.get("deployments", [])
    if not isinstance(deployments, list) or not all(
        isinstance(d, str) and _NAME.match(d) for d in deployments
    ):
        raise ValueError(f"{where} install.health.deployments {deployments!r}: allowed: names")
    return tuple(urls), tuple(deployments)


def _section(section: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    found = section.get(name, {})
    if not isinstance(found, dict):
        raise ValueError(f"{where} install.{name} is not a mapping")
    return found


def _paths(section: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    listed = section.get(key, [])
    if not isinstance(listed, list):
        raise ValueError(f"{where}.{key} is not a list")
    return tuple(_path(p, f"{where}.{key}") for p in listed)


def _optional_path(value: Any, where: str) -> str | None:
    return None if value is None else _path(value, where)


def _path(value: Any, where: str) -> str:
    # Paths end up in shell scripts: plain relative paths only.
    if (
        not isinstance(value, str)
        or not _PATH.match(value)
        or value.startswith("/")
        or ".." in value.split("/")
    ):
        raise ValueError(f"{where}: {value!r} is not a plain relative path in the bundle")
    return value
