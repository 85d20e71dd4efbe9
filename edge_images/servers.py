"""The model servers a site runs, as the bundle builder sees them: each target's engine
command and pinned image, its loopback port under systemd/launchd, the URLs the site's
router reaches it at, and the images fetch-images.sh brings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from inferplane.components.edge.layout import K3S_IMAGES, ModelImage
from inferplane.edge_images import manifests
from inferplane.edge_images.profiles import DIGEST_REF, Profile
from inferplane.edge_images.site import Site
from inferplane.errors import BuildError
from inferplane.router.contract import ROUTER_PORT
from inferplane.serving import EngineCommand, render
from inferplane.spec.targets.selfhosted import cache_floor_gib

__all__ = [
    "DEVICE_PLUGIN",
    "HOST_PORT_BASE",
    "ROUTER_HEALTH",
    "SiteServer",
    "model_files",
    "model_urls_host",
    "model_urls_k8s",
    "pulled_images",
    "site_servers",
]

DEVICE_PLUGIN = "nvidia-device-plugin"
"""Image override key (``--image nvidia-device-plugin=...``) for the NVIDIA device plugin."""
ROUTER_HEALTH = f"https://127.0.0.1:{ROUTER_PORT}/healthz"
"""The site's router on loopback (its certificate names 127.0.0.1): the release gate."""
HOST_PORT_BASE = 18080
"""Loopback ports of model servers under systemd/launchd: 18080, 18081, ..."""


@dataclass(frozen=True)
class SiteServer:
    """One target's model server, and its loopback port where the host runs it."""

    model: manifests.ModelServer
    host_port: int

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def engine(self) -> str:
        return self.model.engine

    @property
    def image(self) -> str:
        return self.model.image

    @property
    def command(self) -> EngineCommand:
        return self.model.command


def _image(name: str, image: str, profile: Profile) -> str:
    # Pinned references only, in a grammar with no shell metacharacters (the image
    # reaches fetch-images.sh, units and manifests).
    if profile.containers and not DIGEST_REF.match(image):
        raise BuildError(
            f"target {name!r}: model-server image {image!r} is not pinned by digest. "
            f"Set targets.{name}.serving.image to repo:tag@sha256:<digest> or pass "
            f"--image {name}=repo:tag@sha256:<digest> (resolve it where the registry "
            "is reachable: skopeo inspect --format '{{.Digest}}' docker://repo:tag)"
        )
    return image


def _model_server(
    site: Site, name: str, profile: Profile, override: str | None
) -> manifests.ModelServer:
    target = site.targets[name]
    engine = target.serving.engine
    native = profile.engines.get(engine)
    if native is None:
        raise BuildError(
            f"target {name!r}: profile {profile.name!r} has no {engine!r} server; "
            f"it offers {', '.join(sorted(profile.engines))}"
        )
    command = render(target.model, target.serving)
    image = _image(name, override or target.serving.image or native.image or "", profile)
    floor = cache_floor_gib(target.model, target.serving)
    return manifests.ModelServer(
        name, image, command, int(profile.gpu), engine, target.model, floor
    )


def site_servers(site: Site, profile: Profile, overrides: Mapping[str, str]) -> list[SiteServer]:
    """The site's servers in target order; BuildError naming the target for an engine the
    profile lacks or an image that is not pinned by digest."""
    return [
        SiteServer(_model_server(site, name, profile, overrides.get(name)), HOST_PORT_BASE + i)
        for i, name in enumerate(site.targets)
    ]


def model_files(command: EngineCommand) -> list[str]:
    """The weight files a server opens, below its models directory (``/models``)."""
    return [
        arg.removeprefix("/models/")
        for arg in command.args
        if arg.startswith("/models/") and arg != "/models/"
    ]


def model_urls_k8s(servers: list[SiteServer]) -> dict[str, str]:
    return {
        s.name: f"http://{s.name}.{manifests.NAMESPACE}.svc.cluster.local:{s.command.port}"
        f"{s.command.openai_base_path}"
        for s in servers
    }


def model_urls_host(servers: list[SiteServer]) -> dict[str, str]:
    return {s.name: f"http://127.0.0.1:{s.host_port}{s.command.openai_base_path}" for s in servers}


def _model_image(name: str, ref: str, *, k3s_only: bool = False) -> ModelImage:
    digest = ref.rsplit("@", 1)[1]
    return ModelImage(name, ref, digest, f"{K3S_IMAGES}/{name}.tar", k3s_only)


def pulled_images(servers: list[SiteServer], profile: Profile) -> tuple[ModelImage, ...]:
    """The pinned images fetch-images.sh brings into the bundle (model servers, and the
    NVIDIA device plugin on GPU sites under k3s)."""
    images = [_model_image(f"model-{s.name}", s.image) for s in servers]
    if profile.gpu and profile.device_plugin is not None:
        images.append(_model_image(DEVICE_PLUGIN, profile.device_plugin, k3s_only=True))
    return tuple(images)
