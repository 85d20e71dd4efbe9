"""The install plan (manifest.json ``install``): per runtime, the exact files the
installers hand to it, the model images and weights, and the health gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inferplane.components.edge.layout.paths import MODELS_DIR

__all__ = ["InstallPlan", "K3sRuntime", "ModelImage", "ModelWeights"]


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
