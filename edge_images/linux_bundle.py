"""The Linux part of a bundle (k3s or systemd install): the router image, the k3s airgap
archive and manifests, systemd units, cloud-init seeds, the README, install.sh and
fetch-images.sh, and the install plan that lists them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inferplane.components.edge.layout import (
    BUNDLE_README,
    K3S_IMAGES,
    K3S_MANIFESTS,
    K3S_REGISTRIES,
    ROUTER_OCI,
    SITE_CA,
    SITE_REVOKED_KEYS,
    SITE_TLS_CERT,
    SITE_TLS_KEY,
    SITE_TRUSTED_KEYS,
    SYSTEMD_CONFIG,
    SYSTEMD_DIR,
    TRUST_REVOKED,
    InstallPlan,
    K3sRuntime,
)
from inferplane.edge_images import manifests, scripts, seed, systemd
from inferplane.edge_images.bundle_files import write, yaml_docs
from inferplane.edge_images.inputs import BundleInputs, Progress
from inferplane.edge_images.k3s import pack_k3s
from inferplane.edge_images.profiles import Profile
from inferplane.edge_images.readme import bundle_readme
from inferplane.edge_images.secrets import SiteSecrets
from inferplane.edge_images.servers import (
    ROUTER_HEALTH,
    SiteServer,
    model_files,
    model_urls_host,
    model_urls_k8s,
    pulled_images,
)
from inferplane.edge_images.site import Site, site_router_config
from inferplane.errors import BuildError
from inferplane.packaging.rootfs import BaseSystem
from inferplane.packaging.router_image import RouterImage, build_router_image, write_named_archive

__all__ = ["linux_bundle"]

ROUTER_ARCHIVE = f"{K3S_IMAGES}/inferplane-router.tar"
Health = tuple[tuple[str, tuple[str, ...]], ...]


def _registry_host(ref: str) -> str:
    first = ref.split("/", 1)[0]
    return first if "." in first or ":" in first or first == "localhost" else "docker.io"


def _registries(servers: list[SiteServer], profile: Profile, mirror: str | None) -> str:
    """k3s registries.yaml: the registries the site's pinned images come from. Without a
    site mirror the entries are empty, which turns on k3s's embedded (peer-to-peer)
    registry mirror for them when k3s runs with --embedded-registry."""
    refs = [s.image for s in servers] + ([profile.device_plugin] if profile.device_plugin else [])
    hosts = sorted({_registry_host(ref) for ref in refs})
    entry: dict[str, Any] = {"endpoint": [mirror]} if mirror else {}
    return yaml.safe_dump({"mirrors": {host: dict(entry) for host in hosts}}, sort_keys=True)


def _units(
    site: Site, profile: Profile, servers: list[SiteServer], base: BaseSystem
) -> dict[str, str]:
    units: dict[str, str] = {}
    names = []
    for server in servers:
        name = systemd.unit_name(server.model)
        units[name] = systemd.model_server_unit(server.model, server.host_port, profile.gpu)
        names.append(name)
    units[systemd.ROUTER_UNIT] = systemd.router_unit(base.python, names)
    units["router.json"] = site_router_config(site, model_urls_host(servers)).to_json() + "\n"
    return dict(sorted(units.items()))


def _seed(
    site: Site,
    units: dict[str, str],
    out: Path,
    tls: SiteSecrets | None = None,
    keys: Mapping[str, str] | None = None,
) -> None:
    hostname = f"{site.name}-edge"
    files = {
        (systemd.HOST_CONFIG if name == "router.json" else f"/etc/systemd/system/{name}"): text
        for name, text in units.items()
    }
    files.update(keys or {})
    private: set[str] = set()
    if tls is not None:
        for path, source in ((SITE_TLS_CERT, tls.cert), (SITE_CA, tls.ca), (SITE_TLS_KEY, tls.key)):
            files[path] = source.read_text()
        private.add(SITE_TLS_KEY)
    services = [name for name in units if name.endswith(".service")]
    user_data = seed.user_data(hostname, files, enable=services, start=services, private=private)
    texts = {
        "user-data": user_data,
        "meta-data": seed.meta_data(site.name, hostname, user_data),
        "network-config": seed.network_config(),
    }
    for name, text in texts.items():
        write(out / name, text)
    seed.write_seed_iso(texts, out / "seed.iso")


@dataclass(frozen=True)
class _LinuxBundle:
    """One Linux bundle being written into ``out``."""

    inputs: BundleInputs
    site: Site
    profile: Profile
    servers: list[SiteServer]
    out: Path
    say: Progress

    def router_image(self) -> RouterImage:
        out, inputs = self.out, self.inputs
        image = build_router_image(
            inputs.source_root,
            (out / ROUTER_OCI).parent,
            inputs.cache,
            arches=self.profile.arches,
            base=inputs.base,
            progress=self.say,
        )
        if image.layout != out / ROUTER_OCI:
            raise BuildError(f"router image written to {image.layout}, not {out / ROUTER_OCI}")
        self.say(f"router image {image.reference()}")
        return image

    def k3s_manifests(self, image: RouterImage) -> dict[str, str]:
        k8s_config = site_router_config(self.site, model_urls_k8s(self.servers)).to_json()
        docs = manifests.router_objects(self.site.name, image.reference(), k8s_config)
        found = {"inferplane-router.yaml": yaml_docs(docs)}
        runtime_class = "nvidia" if self.profile.gpu else None
        for server in self.servers:
            docs = manifests.model_server_objects(self.site.name, server.model, runtime_class)
            found[f"inferplane-model-{server.name}.yaml"] = yaml_docs(docs)
        if self.profile.gpu and self.profile.device_plugin is not None:
            docs = manifests.gpu_objects(self.site.name, self.profile.device_plugin, "nvidia")
            found["nvidia-device-plugin.yaml"] = yaml_docs(docs)
        return found

    def k3s(self, image: RouterImage) -> tuple[str, ...]:
        """The airgap archive, manifests and registries.yaml; the manifests' names."""
        self.say("k3s airgap bundle")
        write_named_archive(image, self.out / ROUTER_ARCHIVE)
        k3s_manifests = self.k3s_manifests(image)
        for name, text in k3s_manifests.items():
            write(self.out / K3S_MANIFESTS / name, text)
        mirror = self.inputs.registry_mirror
        write(self.out / K3S_REGISTRIES, _registries(self.servers, self.profile, mirror))
        return tuple(f"{K3S_MANIFESTS}/{name}" for name in sorted(k3s_manifests))

    def units(self) -> dict[str, str]:
        self.say("systemd units")
        units = _units(self.site, self.profile, self.servers, self.inputs.base)
        for name, text in units.items():
            write(self.out / SYSTEMD_DIR / name, text)
        return units

    def seeds(
        self, units: dict[str, str], secrets: SiteSecrets, trusted: Mapping[str, str]
    ) -> None:
        self.say("cloud-init seed")
        # The seed provisions the site's trusted signing keys and its revocation list
        # (a seeded site refuses revoked keys from the first boot) with everything else.
        keys = {
            SITE_REVOKED_KEYS
            if p == TRUST_REVOKED
            else f"{SITE_TRUSTED_KEYS}/{p.rsplit('/', 1)[-1]}": t
            for p, t in trusted.items()
        }
        _seed(self.site, units, self.out / "seed", keys=keys)
        # The same first boot with the site's TLS files: for devices provisioned from the
        # seed alone (and the VM boot test). It holds the private key, so it lives with the
        # secrets, never in the bundle.
        _seed(self.site, units, secrets.directory / "seed", tls=secrets, keys=keys)

    def health(self) -> Health:
        # ServiceLB publishes the router on the node; the model servers are cluster-only
        # (their Deployments' rollout is the gate there).
        servers = (f"http://127.0.0.1:{s.host_port}{s.command.health_path}" for s in self.servers)
        return (("k3s", (ROUTER_HEALTH,)), ("systemd", (ROUTER_HEALTH, *servers)))

    def k3s_itself(self) -> K3sRuntime | None:
        inputs = self.inputs
        if inputs.k3s_dir is None:
            return None
        self.say(f"k3s {inputs.k3s_version} from {inputs.k3s_dir}")
        k3s_runtime, notes = pack_k3s(
            inputs.k3s_dir,
            self.out,
            self.profile.arches,
            inputs.k3s_version,
            releases=inputs.k3s_releases,
        )
        for note in notes:
            self.say(note)
        return k3s_runtime

    def readme(self, health: Health) -> None:
        model_files_of = [
            (s.name, self.site.targets[s.name].model, model_files(s.command)) for s in self.servers
        ]
        profile = self.profile
        text = bundle_readme(
            self.site.name, profile.name, profile.arches, model_files_of, health[1][1]
        )
        write(self.out / BUNDLE_README, text)

    def scripts(self, plan: InstallPlan) -> None:
        write(self.out / "install.sh", scripts.install_sh(plan))
        write(self.out / "fetch-images.sh", scripts.fetch_images_sh(plan.images))
        (self.out / "install.sh").chmod(0o755)
        (self.out / "fetch-images.sh").chmod(0o755)


def linux_bundle(
    inputs: BundleInputs,
    site: Site,
    profile: Profile,
    servers: list[SiteServer],
    out: Path,
    *,
    secrets: SiteSecrets,
    trusted: Mapping[str, str],
    say: Progress,
) -> tuple[RouterImage, InstallPlan]:
    """Write the Linux part into ``out``; the router image and the install plan."""
    bundle = _LinuxBundle(inputs, site, profile, servers, out, say)
    image = bundle.router_image()
    k3s_manifests = bundle.k3s(image)
    units = bundle.units()
    bundle.seeds(units, secrets, trusted)
    health = bundle.health()
    k3s_runtime = bundle.k3s_itself()
    bundle.readme(health)
    plan = InstallPlan(
        k3s_images=(ROUTER_ARCHIVE,),
        k3s_manifests=k3s_manifests,
        k3s_registries=K3S_REGISTRIES,
        systemd_units=tuple(f"{SYSTEMD_DIR}/{name}" for name in units if name.endswith(".service")),
        systemd_config=SYSTEMD_CONFIG,
        router_oci_tag=image.tag,
        router_arches=tuple(sorted(image.manifests)),
        images=pulled_images(servers, profile),
        health=health,
        deployments=tuple(s.name for s in servers),
        readme=BUNDLE_README,
        k3s_runtime=k3s_runtime,
    )
    bundle.scripts(plan)
    return image, plan
